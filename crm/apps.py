from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    # The breadcrumb and app page title staff read (the sidebar's words, dealership/core/navigation.py).
    verbose_name = "Customers and vehicles"
