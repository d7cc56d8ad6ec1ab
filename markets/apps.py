from django.apps import AppConfig


class MarketsConfig(AppConfig):
    name = "markets"
    verbose_name = "Markets"

    def ready(self) -> None:
        from cryptovault import health
        from markets.health import check_price_source

        health.register("price_source", check_price_source)
