"""Markets: the coins we track and the price ticks that are the history of record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from cryptovault.money import price_model_field


class PriceSource(models.TextChoices):
    COINGECKO = "coingecko", "CoinGecko"
    STALE = "stale", "Stale (last good CoinGecko value)"
    SIMULATED = "simulated", "Simulated"


class Coin(models.Model):
    """A coin known by its CoinGecko id; tracked coins are priced and tradable."""

    id = models.CharField("CoinGecko id", max_length=64, primary_key=True)
    symbol = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    image_url = models.URLField(max_length=500, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True, help_text="Market-cap rank.")
    is_tracked = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol.upper()})"


class PriceTick(models.Model):
    """One observed USD price of a coin at a moment, labelled with where it came from."""

    coin = models.ForeignKey(Coin, on_delete=models.CASCADE, related_name="ticks")
    price = price_model_field()
    change_24h_pct = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    market_cap = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    volume_24h = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=16, choices=PriceSource.choices)
    at = models.DateTimeField(help_text="When the price was observed upstream.")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["coin", "-at"], name="pricetick_coin_at")]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.coin_id} {self.price} @ {self.at:%Y-%m-%d %H:%M:%S} ({self.source})"


class QuotaUsage(models.Model):
    """CoinGecko credits spent in one calendar month (UTC): every upstream request counts."""

    month = models.DateField(unique=True, help_text="First day of the month (UTC).")
    credits_used = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = "CoinGecko quota usage"
        verbose_name_plural = "CoinGecko quota usage"

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.credits_used} credits"


class WatchlistEntry(models.Model):
    """A coin a user watches: one entry per user and coin, listed in the order added."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlist_entries"
    )
    coin = models.ForeignKey(Coin, on_delete=models.CASCADE, related_name="watchlist_entries")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The order added: a replaced list is written in one batch (one created_at), so
        # the primary key breaks the tie in the order the list was given.
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "coin"], name="watchlist_entry_user_coin")
        ]
        verbose_name_plural = "watchlist entries"

    def __str__(self) -> str:
        return f"{self.user_id} watches {self.coin_id}"
