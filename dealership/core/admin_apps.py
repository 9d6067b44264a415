"""The admin app with our default site (INSTALLED_APPS names this instead of django.contrib.admin)."""

from django.contrib.admin.apps import AdminConfig


class GuardedAdminConfig(AdminConfig):
    default_site = "dealership.core.admin_input.GuardedAdminSite"
