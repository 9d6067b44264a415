"""`manage.py seed_demo`: load the demo shop, catalog, customers and upcoming appointments. Safe to rerun."""

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dealership.core.demo.seed import demo_seed

# Booking logs one line per appointment; while seeding that is noise unless asked for with -v 2.
_CHATTY_LOGGERS = ("scheduling.services",)


class Command(BaseCommand):
    help = "Load demo data (Lakeside Auto Service). Rows that already exist are kept as they are."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # Fifty made-up customers with reminder calls due would be dialled from a real shop's number.
            raise CommandError(
                "seed_demo loads the demo shop and runs only with DJANGO_DEBUG=1 (the local demo)."
            )
        previous = {name: logging.getLogger(name).level for name in _CHATTY_LOGGERS}
        if options["verbosity"] < 2:
            for name in _CHATTY_LOGGERS:
                logging.getLogger(name).setLevel(logging.WARNING)
        try:
            summary = demo_seed()
        finally:
            for name, level in previous.items():
                logging.getLogger(name).setLevel(level)
        self.stdout.write(summary.line())
