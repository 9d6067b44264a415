"""The shop-export import as django-import-export runs it (upload → preview with each row's errors →
confirm): a Customer resource whose rows also carry a vehicle and a visit. The checks and writes are
crm.shop_import's; this class only maps them onto the library's hooks.

Every row is cleaned before anything of it is looked up; a row that cannot be used is reported with the
column and the reason (a ValidationError, shown per row in the preview) and the confirm step is not
offered. Everything runs in one transaction (IMPORT_EXPORT_USE_TRANSACTIONS), rolled back after the
preview and whenever a row fails, so nothing is half-written.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.fields import Field

from crm.models import Customer
from crm.selectors import shop_phone_region
from crm.shop_import import (
    RowErrors,
    ShopRow,
    describe_vehicle,
    describe_visit,
    headers_map,
    shop_customer_match,
    shop_customer_prepare,
    shop_row_clean,
    shop_row_pending,
    shop_row_save,
)
from dealership.core.errors import ApplicationError

CLEAN = "__clean"  # where a row carries its cleaned values between the hooks
CUSTOMER_FIELDS = ("name", "phone", "email", "address_line", "city", "state", "zip_code")
PREVIEW_HEADERS = ("Name", "Phone", "Email", "Address", "City", "State", "ZIP", "Vehicle", "Visit")


def _invalid(error: RowErrors) -> ValidationError:
    return ValidationError({column: [message] for column, message in error.errors.items()})


class ShopExportResource(resources.ModelResource):
    # Shown in the preview beside the customer's fields: what the row adds or changes.
    vehicle = Field(attribute="_import_vehicle", column_name="vehicle", readonly=True)
    visit = Field(attribute="_import_visit", column_name="visit", readonly=True)

    class Meta:
        model = Customer
        fields = (*CUSTOMER_FIELDS, "vehicle", "visit")
        import_id_fields = ("phone",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_bulk = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._region = "US"

    @classmethod
    def get_display_name(cls) -> str:
        return "Customers, vehicles and service history"

    def get_diff_headers(self) -> list[str]:
        return list(PREVIEW_HEADERS)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        try:
            dataset.headers = headers_map(list(dataset.headers or []))
        except ApplicationError as error:
            raise ValueError(error.message) from None
        self._region = shop_phone_region()

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        try:
            clean = shop_row_clean(row, region=self._region)
        except RowErrors as error:
            raise _invalid(error) from None
        row[CLEAN] = clean
        for name in CUSTOMER_FIELDS:
            value = clean.customer[name]
            if value:
                row[name] = value
            else:
                row.pop(name, None)  # a blank cell leaves what is on file

    def get_instance(self, instance_loader: Any, row: dict[str, Any]) -> Customer | None:
        return shop_customer_match(row[CLEAN])

    def after_init_instance(self, instance: Customer, new: bool, row: dict[str, Any], **kwargs: Any) -> None:
        # Before the library copies the original for the preview's "before" column.
        instance._import_vehicle = instance._import_visit = ""

    def skip_row(
        self, instance: Customer, original: Any, row: dict[str, Any], import_validation_errors: Any = None
    ) -> bool:
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        try:
            return not shop_row_pending(instance, row[CLEAN])
        except RowErrors as error:
            raise _invalid(error) from None

    def save_instance(self, instance: Customer, is_create: bool, row: dict[str, Any], **kwargs: Any) -> None:
        clean: ShopRow = row[CLEAN]
        shop_customer_prepare(instance, clean)
        super().save_instance(instance, is_create, row, **kwargs)
        try:
            vehicle, visit = shop_row_save(instance, clean)
        except RowErrors as error:
            raise _invalid(error) from None
        instance._import_vehicle = describe_vehicle(vehicle)
        instance._import_visit = describe_visit(visit)
