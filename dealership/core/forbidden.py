"""The 403 page (settings' handler403): inside the back office, a page in the admin's theme that says
which page the login may not open, who can grant it, and leads back to Today. Anywhere else, and for
anyone not signed in as staff, Django's plain 403.

An advisor opening an owner's page (the dashboard, the set-up check, users) met a bare
"403 Forbidden" that read like the system had broken.
"""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve, reverse
from django.views import defaults

# Our own admin pages, by URL name, in the words of the sidebar.
_OWN_PAGES = {
    "dashboard": "the Dashboard",
    "setup": "the Set-up check",
    "voice_call_test_call": "the Test call page",
    "voice_call_live": "Live calls",
    "scheduling_appointment_agenda": "the Day agenda",
}
# The plumbing under Administration, in words a shop uses.
_MODEL_PAGES = {
    "auth_user": "staff logins (Users)",
    "auth_group": "staff groups",
}


def _page_name(request: HttpRequest) -> str:
    """What the user tried to open, as the sidebar names it ("this page" when we cannot tell)."""
    try:
        url_name = resolve(request.path_info).url_name or ""
    except Resolver404:
        return "this page"
    if url_name in _OWN_PAGES:
        return _OWN_PAGES[url_name]
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}"
        if url_name.startswith(prefix + "_"):
            return _MODEL_PAGES.get(prefix, str(model._meta.verbose_name_plural))
    return "this page"


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the themed page for staff inside /admin/, else Django's own 403."""
    admin_root = reverse("admin:index")
    user = getattr(request, "user", None)
    if (
        not request.path_info.startswith(admin_root)
        or user is None
        or not user.is_active
        or not user.is_staff
    ):
        return defaults.permission_denied(request, exception)  # type: ignore[arg-type]
    if request.headers.get("Accept", "").startswith("application/json"):
        return HttpResponseForbidden("You do not have permission for this.", content_type="text/plain")
    page = _page_name(request)
    context = {
        **admin.site.each_context(request),
        "title": "You can't open this page",
        "subtitle": None,
        "page_name": page,
        "today_url": admin_root,
    }
    request.current_app = admin.site.name
    response = TemplateResponse(request, "admin/403.html", context, status=403)
    return response.render()
