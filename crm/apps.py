from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CrmConfig(AppConfig):
    name = "crm"

    def ready(self) -> None:
        from crm.selectors import shop_phone_region_forget

        post_save.connect(shop_phone_region_forget, sender="scheduling.Shop", dispatch_uid="crm-region-save")
        post_delete.connect(shop_phone_region_forget, sender="scheduling.Shop", dispatch_uid="crm-region-del")
