"""A pg_trgm index for email fragments in the advisors' search box (crm.selectors `_owner_match`:
`email__icontains`, i.e. UPPER("email"::text) LIKE UPPER('%fragment%')), so a name-or-email search
stays two index scans on PostgreSQL. SQLite: nothing (see 0003)."""

from django.db import migrations

NAME = "crm_customer_email_trgm"


def create_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON crm_customer USING gin ((UPPER(email::text)) gin_trgm_ops)")


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_customer_review_flags"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
