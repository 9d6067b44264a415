"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Loaded for the whole suite by the root conftest.py (`pytest_plugins`), so any app's tests can ask for
them. A test that uses `browser` (directly or through `browser_page` / `admin_page`) is marked
`browser` automatically: `pytest -m browser` runs just those, and they run in the default suite too.

Every page a fixture hands out is watched (`page_problems`): Content-Security-Policy violations (a
`securitypolicyviolation` listener injected before any page script, and console messages about the
policy), uncaught JavaScript errors, and same-origin responses of 400 or more (a page answering 500, a
stylesheet that 404s). A test calls `page_problems.assert_none()` or reads `page_problems.items`.

Chromium comes from apt (`scripts/test` installs it); `playwright install` is never used.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}
TIMEOUT_MS = 15_000  # one navigation or action; a page that needs longer is itself a failure
ADMIN_PASSWORD = "browser-test-password"  # a throwaway superuser in the test database

# Runs in every document before its own scripts: hands each violation to the test process through a
# Playwright binding (CDP, so the page's own policy cannot block it, and nothing is lost on navigation).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    page: location.pathname + location.search,
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile ? event.sourceFile + ":" + event.lineNumber : "",
    sample: event.sample,
  });
});
"""


@dataclass
class Problem:
    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: [{self.kind}] {self.detail}"


@dataclass
class PageProblems:
    """What went wrong in the browser, with the page it happened on."""

    origin: str
    items: list[Problem] = field(default_factory=list)

    def add(self, page_url: str, kind: str, detail: str) -> None:
        parts = urlsplit(page_url)
        page = parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else page_url
        self.items.append(Problem(page, kind, detail))

    def attach(self, context) -> None:
        """Watch every page of a browser context (call before opening pages)."""

        def on_violation(source, violation: dict) -> None:
            detail = f"{violation['directive']} blocked {violation['blocked'] or '?'}"
            if violation.get("source"):
                detail += f" at {violation['source'].removeprefix(self.origin)}"
            if violation.get("sample"):
                detail += f" ({violation['sample'][:80]!r})"
            self.items.append(Problem(violation["page"], "csp", detail))

        context.expose_binding("__cspViolation", on_violation)
        context.add_init_script(_CSP_LISTENER)
        context.on("page", self._watch)

    def _watch(self, page) -> None:
        def on_console(message) -> None:
            if "Content Security Policy" in message.text:
                self.add(page.url, "csp console", message.text)

        def on_response(response) -> None:
            if response.status >= 400 and response.url.startswith(self.origin):
                # A page's own document arrives before page.url moves to it.
                where = response.url if response.request.is_navigation_request() else page.url
                self.add(where, f"http {response.status}", response.url.removeprefix(self.origin))

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.add(page.url, "js error", str(error)))
        page.on("response", on_response)

    def report(self) -> str:
        return "\n".join(str(problem) for problem in self.items)

    def assert_none(self) -> None:
        if self.items:
            pytest.fail(f"{len(self.items)} problem(s) in the browser:\n{self.report()}", pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A browser test that fails for any reason (a timeout, say) also shows what the browser saw."""
    report = yield
    problems = getattr(item, "funcargs", {}).get("page_problems")
    if (
        report.failed
        and problems is not None
        and problems.items
        and "problem(s) in the browser" not in str(report.longrepr)
    ):
        report.sections.append(("problems in the browser", problems.report()))
    return report


@pytest.fixture
def browser(monkeypatch, live_server) -> Iterator:
    """Headless Chromium (Debian's), launched for one test.

    Playwright's sync API keeps an asyncio loop running in this thread between calls, which Django's
    async-safety check mistakes for async code; the test thread is in fact synchronous, so the check is
    switched off for the length of this test only. Per test, not per session: a browser left running
    would leave that loop behind for every later test.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            # The ORM code run while Playwright was up kept its connections in Playwright's contextvars
            # context; closed here, inside it, or they would outlive the test database.
            connections.close_all()
            chromium.close()


@pytest.fixture
def page_problems(live_server) -> PageProblems:
    return PageProblems(origin=live_server.url)


@pytest.fixture
def browser_page(browser, live_server, page_problems):
    """A fresh page (1366×900) whose relative URLs go to the live server, watched by page_problems."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page_problems.attach(context)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def browser_superuser(django_user_model, settings):
    # The real hasher is slow on purpose; these tests log in, they do not test hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_superuser(
        username="browser-admin", email="browser-admin@example.com", password=ADMIN_PASSWORD
    )


def log_in(page, username: str, password: str) -> None:
    """Log in to /admin/ through the real login form (the admin theme's, a <button type=submit>)."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert urlsplit(page.url).path == "/admin/", f"login failed, still at {page.url}"


@pytest.fixture
def admin_page(browser_page, browser_superuser):
    """browser_page, logged in to /admin/ as a superuser through the real login form."""
    log_in(browser_page, browser_superuser.get_username(), ADMIN_PASSWORD)
    return browser_page


def staff_groups_restore() -> None:
    """The staff groups as the migrations made them. A browser test's database is emptied between tests
    (pytest-django's transactional flush), taking the migration-made groups with it; this runs every
    `dealership.core.groups.grant` operation of the migrations again."""
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    editor = SimpleNamespace(connection=connection)
    for migration in MigrationLoader(connection, ignore_no_migrations=True).disk_migrations.values():
        for operation in migration.operations:
            code = getattr(operation, "code", None)
            if code is not None and code.__qualname__.startswith("grant."):
                code(apps, editor)
