from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "voice"
    # The breadcrumb and app page title staff read (the sidebar's words, dealership/core/navigation.py).
    verbose_name = "Calls and callbacks"
