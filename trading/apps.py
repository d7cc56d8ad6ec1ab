from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    verbose_name = "Trading"

    def ready(self) -> None:
        from cryptovault import events
        from trading import consumers, receivers

        events.user_verified.connect(receivers.user_verified_fund, dispatch_uid="trading.fund")
        events.prices_ticked.connect(receivers.prices_ticked_match, dispatch_uid="trading.match")
        events.prices_wanted.connect(
            receivers.prices_wanted_for_orders, dispatch_uid="trading.orders-wait"
        )
        events.orders_changed.connect(consumers.orders_push, dispatch_uid="trading.sockets")
