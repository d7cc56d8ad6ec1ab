"""A tick's price gets 18 places; on the embedded SQLite its decimals become exact text
(cryptovault.db.sqlite3)."""

from django.db import migrations, models

from cryptovault.db.migrations import decimal_columns_as_text


def decimals_as_text(apps, schema_editor):
    decimal_columns_as_text(apps, schema_editor, "markets", ["pricetick"])


class Migration(migrations.Migration):
    dependencies = [
        ("markets", "0003_quota_usage"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pricetick",
            name="price",
            field=models.DecimalField(decimal_places=18, max_digits=38),
        ),
        migrations.RunPython(decimals_as_text, migrations.RunPython.noop),
    ]
