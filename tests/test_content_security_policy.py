"""The Content-Security-Policy header: on every response, strict, and enforced by a real browser."""

import pytest


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/health/", "/tools/"])
def test_it_sends_the_policy_on_every_response(client, path):
    assert policy(client.get(path))["default-src"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/", "/tools/"])
def test_it_allows_only_our_own_scripts_and_no_framing_plugins_or_foreign_forms(client, path):
    directives = policy(client.get(path))
    assert directives["default-src"] == ["'self'"]
    assert directives.get("script-src", directives["default-src"]) == ["'self'"]  # no inline, no eval
    assert directives.get("style-src", directives["default-src"]) == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_the_admin_alone_allows_eval_and_inline_styles_for_its_theme_but_no_inline_script(client):
    """django-unfold's Alpine.js needs eval and inline style attributes (dealership/core/admin_csp.py);
    scripts still come only from our origin, and nothing else is loosened."""
    directives = policy(client.get("/admin/login/"))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "'unsafe-eval'"]  # no 'unsafe-inline' script
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]


def test_the_browser_blocks_an_injected_inline_script_and_the_watcher_reports_it(browser_page, page_problems):
    browser_page.goto("/admin/login/")
    ran = browser_page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true;";
            document.body.append(script);
            return window.injected === true;
        }"""
    )
    browser_page.wait_for_function("() => true")  # one more round trip: the violation report arrives
    assert ran is False
    by_kind = {problem.kind: problem for problem in page_problems.items}
    assert sorted(by_kind) == ["csp", "csp console"]  # the event and Chromium's console line
    assert by_kind["csp"].page == "/admin/login/"
    assert by_kind["csp"].detail.startswith("script-src-elem blocked inline")
