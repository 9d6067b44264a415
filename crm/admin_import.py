"""The customer list's "Import" (django-import-export, in the admin theme's templates): a shop's CSV export
of customers, vehicles and service history, previewed with each row's errors before anything is saved.
Needs `crm.import_customers` (Owner and Service advisor)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from unfold.contrib.import_export.forms import ImportForm

from crm.import_resource import ShopExportResource

PERMISSION = "crm.import_customers"


class CustomerImport(ImportMixin):
    """Mixed into CustomerAdmin: the library's import views, for our resource, CSV and the permission."""

    resource_classes = [ShopExportResource]
    # Our page: the accepted columns in plain words and a sample file, not the resource's field names.
    import_template_name = "admin/crm/customer/import.html"
    import_form_class = ImportForm
    formats = [CSV]
    from_encoding = "utf-8-sig"  # Excel's "CSV UTF-8" starts with a byte-order mark
    import_error_display = ("message", "row")
    skip_admin_log = True  # the library's log entry per row would double the import's time

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # A row that fails at the confirm step (the records changed since the preview) undoes them all.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: some rows no longer pass (the records changed since the preview). "
                "Upload the file again to see which.",
            )
            return HttpResponseRedirect(reverse("admin:crm_customer_import"))
        return super().process_result(result, request)

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The confirm step; an upload that expired or never existed asks for the file again."""
        try:
            return super().process_import(request, **kwargs)
        except (OSError, UnicodeDecodeError) as error:
            messages.error(request, f"That upload is gone ({type(error).__name__}): choose the file again.")
            return HttpResponseRedirect(reverse("admin:crm_customer_import"))
