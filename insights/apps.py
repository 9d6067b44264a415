from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"

    def ready(self) -> None:
        # A settled day's rollup is dropped when one of its calls changes (insights/rollup.py).
        from insights import rollup

        rollup.connect_signals()
