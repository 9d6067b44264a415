"""Every admin page in a real browser: it renders styled, answers without a server error, and breaks
no rule of the Content-Security-Policy (no blocked script, style, frame or form)."""

import os
from pathlib import Path

from tests.admin_pages import admin_page_paths, admin_sample_data  # noqa: F401

# The page background comes from the admin theme's stylesheet (unfold/css/styles.css, `bg-base-50` on
# <body>): transparent means the stylesheet did not apply.
BODY_BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def test_every_admin_page_renders_without_csp_violations(
    admin_sample_data,  # noqa: F811
    admin_page,
    browser_superuser,
    page_problems,
    tmp_path_factory,
):
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("admin-pages"))
    shots.mkdir(parents=True, exist_ok=True)
    paths = admin_page_paths(browser_superuser)
    assert "/admin/scheduling/appointment/agenda/" in paths  # custom admin views are found

    for number, path in enumerate(paths):
        response = admin_page.goto(path)
        if response is None:
            page_problems.add(path, "http", "no response")
            continue
        if response.status >= 400:
            continue  # page_problems has it, as for every same-origin response
        if admin_page.url.split("?")[0].endswith("/admin/login/"):
            page_problems.add(path, "login", "sent back to the login page")
            continue
        if "html" not in response.headers.get("content-type", ""):
            continue  # a JSON endpoint (the booking form's open times): no page to style
        if admin_page.evaluate(BODY_BACKGROUND) in ("", "rgba(0, 0, 0, 0)"):
            page_problems.add(path, "unstyled", "the admin theme's stylesheet did not apply")
        slug = path.strip("/").replace("/", "_") or "root"
        admin_page.screenshot(path=shots / f"{number:03d}_{slug}.png")

    print(f"{len(paths)} admin pages visited; screenshots in {shots}")
    page_problems.assert_none()
