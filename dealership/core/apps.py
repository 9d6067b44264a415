from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dealership.core"
    label = "core"
