"""Delivering an alert: to whom (the shop's settings), by which channel (a text through the Twilio
adapter, an email through Django's email backend), each recipient once, transient failures retried a
bounded number of times with backoff."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone

from crm.phones import mask_phone
from dealership.core.alerts.duty import duty_staff_now
from dealership.core.groups import OWNER
from dealership.core.models import Alert
from integrations.errors import ProviderError
from integrations.telephony import send_sms_sync
from scheduling.models import Shop
from scheduling.shop import shop_get

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # doubled per attempt
SMS_LIMIT = 300  # characters; a long text costs several segments


@dataclass(frozen=True)
class Recipient:
    channel: str  # "sms" or "email"
    address: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.address}"


def alert_recipients(shop: Shop, *, now: datetime | None = None) -> list[Recipient]:
    """Who hears about alerts, by the shop's chosen channel: the people listed on the shop, whoever is
    on duty at `now` (the rota), or both. When the rota finds no one to reach, the people listed are
    told; when there is still no one, the shop's owners: an alert never goes nowhere."""
    if not shop.alert_channel:
        return []
    listed = _listed(shop)
    if shop.alert_to == "listed":
        return listed
    on_duty = _people(shop.alert_channel, duty_staff_now(now=now or timezone.now()))
    found = _unique(on_duty + listed) if shop.alert_to == "both" else (on_duty or listed)
    return found or _people(shop.alert_channel, _owners())


def _listed(shop: Shop) -> list[Recipient]:
    channel = shop.alert_channel
    found: list[Recipient] = []
    if channel in ("sms", "both"):
        found += [Recipient("sms", p.strip()) for p in shop.alert_phones.split(",") if p.strip()]
    if channel in ("email", "both"):
        emails = [e.strip() for e in shop.alert_emails.split(",") if e.strip()]
        emails += [u.email for u in shop.alert_users.filter(is_active=True, is_staff=True) if u.email]
        found += [Recipient("email", e) for e in dict.fromkeys(emails)]
    return found


def _people(channel: str, users: list[Any]) -> list[Recipient]:
    """Staff users as recipients: their own phone (StaffProfile) for texts, their email for email."""
    from voice.models import StaffProfile

    phones = dict(
        StaffProfile.objects.filter(user__in=users).exclude(phone="").values_list("user_id", "phone")
    )
    found: list[Recipient] = []
    if channel in ("sms", "both"):
        found += [Recipient("sms", phones[u.pk]) for u in users if u.pk in phones]
    if channel in ("email", "both"):
        found += [Recipient("email", u.email) for u in users if u.email]
    return _unique(found)


def _owners() -> list[Any]:
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return list(users.filter(Q(groups__name=OWNER) | Q(is_superuser=True)).distinct().order_by("pk"))


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    return list(dict.fromkeys(recipients))


def _send(recipient: Recipient, alert: Alert) -> None:
    """Deliver to one recipient; ProviderError (with `permanent`) when it failed."""
    if recipient.channel == "sms":
        text = f"{alert.subject}. {alert.body}"
        text = text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"
        send_sms_sync(recipient.address, f"{text} {alert.link}".strip())
        return
    try:
        send_mail(
            subject=alert.subject,
            message=f"{alert.body}\n\n{alert.link}".strip(),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[recipient.address],
        )
    except (SMTPException, OSError) as error:
        raise ProviderError(
            f"Email could not be sent: {error!r}", permanent=False, provider="email"
        ) from error


def _recipients_of(alert: Alert, *, now: datetime) -> list[Recipient]:
    """Who the alert goes to: settled (and saved) at its first attempt, the same people on every retry
    whoever is on duty by then. An alert held by quiet hours is first attempted when they end."""
    if alert.recipients is None:
        # Anyone an attempt before this field existed already tried stays on the list.
        tried = [_recipient(key) for key in alert.delivery]
        recipients = _unique(tried + alert_recipients(shop_get(), now=now))
        alert.recipients = [r.key for r in recipients]
        Alert.objects.filter(pk=alert.pk).update(recipients=alert.recipients)
        return recipients
    return [_recipient(key) for key in alert.recipients]


def _recipient(key: str) -> Recipient:
    channel, _, address = key.partition(":")
    return Recipient(channel, address)


def alert_deliver(*, alert_id: int) -> str:
    """Send a due alert to everyone on its list not yet told. Claims it first (a conditional update), so two
    workers or a repeated beat tick never send it twice at once. Returns the alert's status."""
    now = timezone.now()
    claimed = Alert.objects.filter(pk=alert_id, status=Alert.Status.PENDING, send_after__lte=now).update(
        status=Alert.Status.SENDING, attempts=F("attempts") + 1, send_after=now
    )
    if not claimed:
        return "not due"
    alert = Alert.objects.get(pk=alert_id)
    recipients = _recipients_of(alert, now=now)
    delivery = dict(alert.delivery)
    retry = False
    for recipient in recipients:
        if delivery.get(recipient.key) in ("sent", "refused"):
            continue
        try:
            _send(recipient, alert)
        except ProviderError as error:
            delivery[recipient.key] = "refused" if error.permanent else "failed"
            retry = retry or not error.permanent
            logger.warning("alert %s to %s: %s", alert.key, _masked(recipient), error.message)
        else:
            delivery[recipient.key] = "sent"
            logger.info("alert %s sent to %s", alert.key, _masked(recipient))
    sent = [r for r in recipients if delivery.get(r.key) == "sent"]
    if retry and alert.attempts < MAX_ATTEMPTS:
        status, send_after = Alert.Status.PENDING, now + BACKOFF * 2 ** (alert.attempts - 1)
    else:
        send_after = alert.send_after
        if not recipients:
            status = Alert.Status.NO_RECIPIENTS
        elif len(sent) == len(recipients):
            status = Alert.Status.SENT
        else:
            status = Alert.Status.PARTLY_SENT if sent else Alert.Status.FAILED
    Alert.objects.filter(pk=alert_id).update(
        status=status,
        delivery=delivery,
        send_after=send_after,
        sent_at=now if sent and alert.sent_at is None else alert.sent_at,
    )
    return status


STUCK_AFTER = timedelta(minutes=10)


def alerts_due() -> list[int]:
    """Alerts waiting to be sent whose time has come (quiet hours over, backoff passed). One left
    *sending* by a worker that died is put back first (recipients already told are not told again)."""
    now = timezone.now()
    Alert.objects.filter(status=Alert.Status.SENDING, send_after__lt=now - STUCK_AFTER).update(
        status=Alert.Status.PENDING, send_after=now
    )
    return list(
        Alert.objects.filter(status=Alert.Status.PENDING, send_after__lte=timezone.now())
        .order_by("send_after")
        .values_list("pk", flat=True)[:100]
    )


def _masked(recipient: Recipient) -> str:
    if recipient.channel == "sms":
        return mask_phone(recipient.address)
    name, _, domain = recipient.address.partition("@")
    return f"{name[:1]}…@{domain}"
