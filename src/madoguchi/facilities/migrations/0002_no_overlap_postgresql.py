"""On PostgreSQL only: no two active booked units of one room may overlap in time (btree_gist exclusion).

The partial unique index of 0001 already refuses the same unit twice on both databases; this also refuses
overlapping ranges (say 午前 9–12 against a unit 11–13 defined later). On SQLite the migration does nothing.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE facilities_bookedunit ADD CONSTRAINT booked_unit_no_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange(starts, ends, '[)') WITH &&) WHERE (is_active);
"""
DROP = "ALTER TABLE facilities_bookedunit DROP CONSTRAINT IF EXISTS booked_unit_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
