"""The admin's own JavaScript widgets keep working under the Content-Security-Policy once used: the
vehicle autocomplete (select2 fetching over XHR), the date and time pickers, a collapsed fieldset and
the admin theme's Alpine.js parts (the user menu's theme switch). Page loads alone never run this code."""

from scheduling.models import Appointment
from tests.admin_pages import admin_sample_data  # noqa: F401


def test_the_appointment_form_widgets_work_without_violations(
    admin_sample_data,  # noqa: F811
    admin_page,
    page_problems,
):
    admin_page.goto(f"/admin/scheduling/appointment/{Appointment.objects.get().pk}/change/")

    admin_page.click("#id_vehicle + .select2 .select2-selection")
    admin_page.fill(".select2-search__field", "Civic")  # among the customer's own cars
    option = admin_page.locator(".select2-results__option", has_text="2019 Honda Civic")
    option.wait_for()
    option.click()
    assert admin_page.input_value("#id_local_time") == "9:00 AM"  # the shop's one time format
    admin_page.click("#calendarlink0")
    assert admin_page.locator("#calendarbox0").is_visible()
    admin_page.click("#calendarbox0 .calendarnav-next")
    admin_page.keyboard.press("Escape")
    admin_page.click("#clocklink0")
    assert admin_page.locator("#clockbox0").is_visible()
    admin_page.keyboard.press("Escape")
    collapsed = admin_page.locator("fieldset.collapse").first
    collapsed.locator("h2, summary").first.click()
    assert collapsed.locator(".form-row, .field-line, input, select, p").first.is_visible()
    admin_page.click("#nav-sidebar-inner .cursor-pointer.min-h-\\[64px\\]")  # the user menu
    admin_page.get_by_text("Dark", exact=True).click()
    admin_page.wait_for_function("() => document.documentElement.classList.contains('dark')")

    page_problems.assert_none()
