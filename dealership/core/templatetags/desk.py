"""Template filters for the back office's one format: `{{ x|shop_time }}`, `shop_when`, `phone`, `money`."""

from django import template

from dealership.core import display

register = template.Library()

register.filter("shop_time", display.shop_time)
register.filter("shop_when", display.shop_when)
register.filter("phone", display.phone)
register.filter("money", display.money)
register.filter("duration", display.duration)
