"""Unit prices get 18 places; on the embedded SQLite every amount and price becomes exact text
(cryptovault.db.sqlite3)."""

from django.db import migrations, models

from cryptovault.db.migrations import decimal_columns_as_text


def decimals_as_text(apps, schema_editor):
    decimal_columns_as_text(apps, schema_editor, "trading", ["balance", "ledgerentry", "order"])


class Migration(migrations.Migration):
    dependencies = [
        ("trading", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="average_price",
            field=models.DecimalField(blank=True, decimal_places=18, max_digits=38, null=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="limit_price",
            field=models.DecimalField(blank=True, decimal_places=18, max_digits=38, null=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="stop_price",
            field=models.DecimalField(blank=True, decimal_places=18, max_digits=38, null=True),
        ),
        migrations.RunPython(decimals_as_text, migrations.RunPython.noop),
    ]
