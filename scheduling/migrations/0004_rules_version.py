"""The rules version: one row whose token database triggers change whenever the shop's rules change.

Triggers rather than Django signals so that no write path can skip the bump: queryset.update(),
bulk_create(), raw SQL, the demo seed, a psql session. The bump is part of the writing transaction, so
a rolled-back change leaves the old token, and other processes see the new token at the very moment
they can see the new rows. Tokens are random, so a token from a rolled-back transaction never returns.

PostgreSQL: one BEFORE ... FOR EACH STATEMENT trigger per table; taking the version row's lock before the
statement's own row locks serialises writers of the rules and so cannot deadlock them. SQLite: per-row
triggers (the database has a single writer anyway). On any other database no row is created, and
scheduling.rules_cache then never caches (a missing row means "unknown version").
"""

from django.db import migrations, models

TABLES = ("scheduling_shop", "scheduling_businesshours", "scheduling_closure", "scheduling_servicetype")
BUMP_POSTGRES = """
CREATE OR REPLACE FUNCTION scheduling_rules_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scheduling_rulesversion (id, token)
    VALUES (1, floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$;
"""
BUMP_SQLITE = (
    "INSERT INTO scheduling_rulesversion (id, token) VALUES (1, random()) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(BUMP_POSTGRES)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_rules_bump BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION scheduling_rules_bump();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_rules_bump_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {BUMP_SQLITE} END;"
                )
    else:
        return
    RulesVersion = apps.get_model("scheduling", "RulesVersion")
    RulesVersion.objects.using(schema_editor.connection.alias).create(id=1, token=0)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_rules_bump ON {table};")
        elif vendor == "sqlite":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_rules_bump_{event};")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS scheduling_rules_bump();")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_calendar_pull_schedule"),
    ]

    operations = [
        migrations.CreateModel(
            name="RulesVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
