"""The owner's dashboard in a real browser, with the demo's weeks of history: reached from Today, every
chart drawn by unfold's Chart.js from its data attributes (no inline script under our CSP), and no
sideways scroll at 1366 px."""

import os
from pathlib import Path

from django.core.management import call_command

DRAWN = """() => [...document.querySelectorAll('canvas.chart')].map(canvas => {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) inked++; }
  return [canvas.closest('.desk-card').id, canvas.width, canvas.height, inked];
})"""
CHARTS = {
    "chart-calls",
    "chart-hours",
    "chart-outcomes",
    "chart-revenue",
    "chart-reminders",
    "chart-callbacks",
    "chart-latency",
    "chart-errors",
}


def test_the_dashboard_draws_its_charts_with_the_demo_data(admin_page, page_problems, settings, tmp_path):
    settings.DEBUG = True  # the demo loads only in the local demo
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.DEBUG = False

    admin_page.goto("/admin/")
    admin_page.click("#today-dashboard")
    admin_page.wait_for_url("**/admin/dashboard/")
    admin_page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 8")

    drawn = {card: (width, height, inked) for card, width, height, inked in admin_page.evaluate(DRAWN)}
    assert set(drawn) == CHARTS
    for card, (width, height, inked) in drawn.items():
        assert width > 200 and height > 150, card
        assert inked > 2_000, f"{card} looks empty ({inked} pixels drawn)"
    figures = admin_page.inner_text("#dashboard-figures")
    assert "calls answered by the AI" in figures and "$" in figures
    assert admin_page.evaluate("() => document.documentElement.scrollWidth") <= 1366

    admin_page.click("#dashboard-periods >> text=Last 12 weeks")
    admin_page.wait_for_url("**/admin/dashboard/?period=week")
    admin_page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 8")
    assert admin_page.evaluate("() => document.documentElement.scrollWidth") <= 1366

    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)
    admin_page.screenshot(path=shots / "dashboard.png", full_page=True)
    page_problems.assert_none()
