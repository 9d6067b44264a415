"""The Content-Security-Policy, loosened for the admin only.

The admin theme (django-unfold) drives its sidebar, tabs, filters, dropdowns and theme switch with
Alpine.js. Unfold ships only Alpine's standard build, which evaluates every `x-data` / `x-on`
expression with `new Function(...)` (no CSP build exists for it: unfoldadmin/django-unfold#2129), and
its page skeleton sets the theme colours in an inline `<style>` and sizes the sidebar through Alpine-bound
`style` attributes. Everything else keeps the strict site-wide policy of `dealership/settings.py`: scripts
still load only from our own origin (no inline script, no event-handler attribute), and no page outside
`/admin/` is affected.
"""

from csp.constants import SELF, UNSAFE_EVAL, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

ADMIN_CSP_UPDATE = {
    # Alpine's standard build compiles expressions with new Function (unfold has no CSP-safe build).
    "script-src": [SELF, UNSAFE_EVAL],
    # unfold's skeleton: an inline <style> with the theme colours; Alpine sets style="width: …px".
    "style-src": [SELF, UNSAFE_INLINE],
}


class AdminCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with ADMIN_CSP_UPDATE added to the policy of admin responses."""

    _admin_prefix = ""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        if not self._admin_prefix:
            type(self)._admin_prefix = reverse("admin:index")
        if request.path_info.startswith(self._admin_prefix):
            parts.update = {**ADMIN_CSP_UPDATE, **(parts.update or {})}
        return parts
