"""django-celery-beat's periodic task form keeps its crontab reading under our Content-Security-Policy."""

from django_celery_beat.models import CrontabSchedule


def test_picking_a_crontab_shows_its_reading_without_breaking_the_policy(admin_page, page_problems):
    crontab = CrontabSchedule.objects.create(minute="0", hour="4")
    admin_page.goto("/admin/django_celery_beat/periodictask/add/")
    help_text = admin_page.locator(".field-crontab .help")

    admin_page.select_option("#id_crontab", str(crontab.pk))

    assert "Translation: At 04:00 AM" in help_text.inner_text()
    assert help_text.inner_text().startswith("Crontab Schedule to run the task on.")
    page_problems.assert_none()
