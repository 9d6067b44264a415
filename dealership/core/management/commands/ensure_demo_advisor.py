"""`manage.py ensure_demo_advisor`: the local demo's service-advisor login (DEBUG only), idempotently."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dealership.core.demo.accounts import AdminOutcome, demo_advisor_ensure
from dealership.core.errors import ApplicationError

DEMO_USERNAME = "advisor"
DEMO_PASSWORD = "frontdesk-demo-2026"  # passes the password validators; printed by scripts/run


class Command(BaseCommand):
    help = "Create the demo service-advisor login (only with DJANGO_DEBUG=1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=DEMO_USERNAME)
        parser.add_argument("--password", default=DEMO_PASSWORD)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, outcome = demo_advisor_ensure(username=options["username"], password=options["password"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        name = user.get_username()
        if outcome == AdminOutcome.CREATED:
            self.stdout.write(self.style.SUCCESS(f"Service advisor '{name}' created."))
        else:
            self.stdout.write(f"Service advisor '{name}' already exists; password unchanged.")
