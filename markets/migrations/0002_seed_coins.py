"""Seed the ten coins SPEC §3 tracks by default (operators can change them in the admin)."""

from django.db import migrations

COINS = [
    ("bitcoin", "btc", "Bitcoin", 1),
    ("ethereum", "eth", "Ethereum", 2),
    ("tether", "usdt", "Tether", 3),
    ("binancecoin", "bnb", "BNB", 4),
    ("solana", "sol", "Solana", 5),
    ("ripple", "xrp", "XRP", 6),
    ("usd-coin", "usdc", "USDC", 7),
    ("cardano", "ada", "Cardano", 8),
    ("dogecoin", "doge", "Dogecoin", 9),
    ("tron", "trx", "TRON", 10),
]


def seed(apps, schema_editor):
    Coin = apps.get_model("markets", "Coin")
    for coin_id, symbol, name, rank in COINS:
        Coin.objects.update_or_create(
            id=coin_id, defaults={"symbol": symbol, "name": name, "rank": rank, "is_tracked": True}
        )


def unseed(apps, schema_editor):
    apps.get_model("markets", "Coin").objects.filter(id__in=[c[0] for c in COINS]).delete()


class Migration(migrations.Migration):
    dependencies = [("markets", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
