"""Indexes for the advisors' search box on PostgreSQL (crm.selectors customer_search / vehicle_search).

Each index matches the exact SQL Django emits for a search arm, so the planner can use it:
- name words, `name__icontains`: UPPER("name"::text) LIKE UPPER('%word%') -> pg_trgm GIN on UPPER(name);
- VIN suffix, `vin__endswith`: "vin"::text LIKE '%SUFFIX' -> pg_trgm GIN on vin (a 6-character suffix
  gives selective trigrams; measured at well under a millisecond over 100,000 vehicles);
- plate, the annotated plate key: UPPER(REPLACE(REPLACE("plate", ' ', ''), '-', '')) = 'KEY' -> B-tree
  on that expression;
- a phone fragment such as the last four digits, `phone__contains` / `alt_phone__contains`:
  "phone"::text LIKE '%0147%' -> pg_trgm GIN on each phone column.

SQLite (the default `scripts/run`) has neither pg_trgm nor GIN, and its searches are small: there this
migration does nothing. That is also why the indexes are not in the models' Meta.indexes, where
GinIndex would be created on every database.
"""

from django.db import migrations

INDEXES = {
    "crm_customer_name_trgm": "ON crm_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "crm_vehicle_vin_trgm": "ON crm_vehicle USING gin (vin gin_trgm_ops)",
    "crm_vehicle_plate_key": "ON crm_vehicle ((UPPER(REPLACE(REPLACE(plate, ' ', ''), '-', ''))))",
    "crm_customer_phone_trgm": "ON crm_customer USING gin (phone gin_trgm_ops)",
    "crm_customer_alt_phone_trgm": "ON crm_customer USING gin (alt_phone gin_trgm_ops)",
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other objects in the database may have come to depend on it since.


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
