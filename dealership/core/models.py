from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Heartbeat(models.Model):
    """The last sign of life of a background process: "worker" (a thread in every Celery worker) and
    "beat" (a task beat schedules every minute). Read by dealership.core.checks."""

    name = models.CharField(max_length=20, primary_key=True)
    at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True, help_text="Which host and process.")

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
