"""Who is on duty when (DutyShift): the rota alerts go to when the shop sends them to "whoever is on
duty now" (dealership.core.alerts). Imported by voice.models, so it is the voice app's model, next to
each staff member's own phone (StaffProfile)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from scheduling.formatting import clock

WEEKDAYS = (
    ("0", "Mon"),
    ("1", "Tue"),
    ("2", "Wed"),
    ("3", "Thu"),
    ("4", "Fri"),
    ("5", "Sat"),
    ("6", "Sun"),
)
_DAY_NAMES = dict(WEEKDAYS)


class DutyShift(models.Model):
    """One staff member on duty on some weekdays between two shop-local times. A shift that ends at or
    before it starts runs past midnight (22:00–06:00 on Friday is Friday night into Saturday morning)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        verbose_name="staff member",
        limit_choices_to={"is_staff": True, "is_active": True},
    )
    # Weekday digits, Monday = 0 ("01234" = Monday to Friday); the day the shift starts.
    days = models.CharField(max_length=7, help_text="The days the shift starts on.")
    starts = models.TimeField("from", help_text="Shop time.")
    ends = models.TimeField(
        "until", help_text="Shop time. Earlier than the start (e.g. 22:00 to 06:00): it runs past midnight."
    )

    class Meta:
        ordering = ["user__username", "starts", "pk"]
        verbose_name = "on-duty shift"

    def __str__(self) -> str:
        return f"{self.user} on duty {self.days_shown()} {clock(self.starts)}–{clock(self.ends)}"

    def days_shown(self) -> str:
        """ "Mon–Fri", "Sat, Sun", "every day"."""
        days = sorted(set(self.days))
        if len(days) == 7:
            return "every day"
        text = "".join(days)
        if len(days) >= 3 and text in "0123456":
            return f"{_DAY_NAMES[days[0]]}–{_DAY_NAMES[days[-1]]}"
        return ", ".join(_DAY_NAMES.get(day, "?") for day in days)

    def clean(self) -> None:
        if not self.days or any(day not in _DAY_NAMES for day in self.days):
            raise ValidationError({"days": "Tick at least one day."})
        if self.starts is not None and self.starts == self.ends:
            raise ValidationError({"ends": "The shift must end at another time than it starts."})
