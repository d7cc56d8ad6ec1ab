"""On the embedded SQLite, wei amounts (78 digits) become exact text columns too
(cryptovault.db.sqlite3); nothing changes on PostgreSQL."""

from django.db import migrations

from cryptovault.db.migrations import decimal_columns_as_text


def decimals_as_text(apps, schema_editor):
    decimal_columns_as_text(apps, schema_editor, "chains", ["wallettransaction"])


class Migration(migrations.Migration):
    dependencies = [
        ("chains", "0003_siwe_nonce_for_visitors"),
    ]

    operations = [
        migrations.RunPython(decimals_as_text, migrations.RunPython.noop),
    ]
