"""Taking over a live call from the back office: who did what (CallControl), the numbers a call may be
transferred to (TransferNumber, kept by the shop), and each staff member's own phone (StaffProfile).
Imported by voice.models, so they are the voice app's models."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from crm.phones import try_normalize_phone
from scheduling.shop import shop_get


def _clean_phone(value: str, field: str) -> str:
    number = try_normalize_phone(value, region=shop_get().phone_region)
    if number is None:
        raise ValidationError({field: "Enter a phone number, like (312) 555-0147."})
    return number


class CallControl(models.Model):
    """One take-over sent to a live call by a staff member (board or call page)."""

    class Action(models.TextChoices):
        TRANSFER_TO_ME = "transfer_to_me", "Transfer to me"
        TRANSFER = "transfer", "Transfer to…"
        SAY = "say", "Say…"
        END_CALL = "end_call", "End call"

    call = models.ForeignKey("voice.Call", on_delete=models.CASCADE, related_name="controls")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    number = models.CharField(max_length=20, blank=True, help_text="Where the call was transferred.")
    text = models.TextField(blank=True, help_text="The line the agent was asked to say.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "created_at", "pk"]
        permissions = [("take_over_call", "Can take over a live call (transfer, say, end)")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on call {self.call_id}"


class TransferNumber(models.Model):
    """A number "Transfer to…" may dial. Only these: the board cannot be used to call anywhere else."""

    label = models.CharField(max_length=80, help_text="Who answers, e.g. 'Parts desk'.")
    phone = models.CharField(max_length=20, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        self.phone = _clean_phone(self.phone, "phone")


class StaffProfile(models.Model):
    """What the back office needs to know about a staff member: the phone "Transfer to me" dials."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    phone = models.CharField(
        max_length=20,
        blank=True,
        help_text="Your phone: 'Transfer to me' on a live call rings it, and text alerts reach it while you "
        "are on duty.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def clean(self) -> None:
        if self.phone:
            self.phone = _clean_phone(self.phone, "phone")
