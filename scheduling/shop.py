"""Access to the singleton Shop row (created with defaults on first use)."""

from scheduling.models import Shop


def shop_get() -> Shop:
    shop = Shop.objects.order_by("pk").first()
    if shop is None:
        shop = Shop.objects.create()
    return shop
