"""`manage.py ensure_admin --username admin --password admin`: the first back-office login, idempotently."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dealership.core.demo.accounts import AdminOutcome, superuser_ensure
from dealership.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a superuser if it does not exist. An existing user keeps its password "
        "unless --reset-password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Set the password of an existing user (and make it an active superuser).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, outcome = superuser_ensure(
                username=options["username"],
                password=options["password"],
                email=options["email"],
                reset_password=options["reset_password"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        name = user.get_username()
        if outcome == AdminOutcome.CREATED:
            self.stdout.write(self.style.SUCCESS(f"Superuser '{name}' created. Log in at /admin/ as {name}."))
        elif outcome == AdminOutcome.PASSWORD_RESET:
            self.stdout.write(self.style.SUCCESS(f"Password of '{name}' reset. Log in at /admin/ as {name}."))
        elif not user.is_superuser or not user.is_active:
            self.stdout.write(
                self.style.WARNING(
                    f"User '{name}' exists but is not an active superuser; left unchanged "
                    "(use --reset-password to promote it)."
                )
            )
        else:
            self.stdout.write(f"Superuser '{name}' already exists; password unchanged. Log in at /admin/.")
