"""Acting on each Twilio event once (see WebhookReceipt): the replay guard of the webhooks."""

from django.db import IntegrityError, transaction

from voice.models import WebhookReceipt

Kind = WebhookReceipt.Kind


def webhook_receipt_record(*, kind: str, key: str) -> bool:
    """Record that the Twilio event `key` of `kind` is being acted on; False when it already was.

    Call it inside the transaction that acts on the event: if acting fails, the receipt rolls back
    with it and Twilio's retry is acted on. Of two deliveries at once, the second waits on the unique
    index until the first commits, then sees it.
    """
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(kind=WebhookReceipt.Kind(kind), key=key[:120])
    except IntegrityError:
        return False
    return True
