"""``/ws/orders``: a logged-in user's open pages hear about their orders' changes.

Each user has a group ``orders.<user id>``; the services send the order there after
the transaction that changed it commits (a fill on a tick, a cancel elsewhere).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from trading.models import Order


def group_for(user_id: int) -> str:
    return f"orders.{user_id}"


_serializer: Any = None


def order_changed(order: Order) -> None:
    orders_changed([order])


def orders_changed(orders: list[Order]) -> None:
    """Send each order to its owner's group: one trip into the event loop for all."""
    global _serializer
    from trading.serializers import OrderSerializer

    layer = get_channel_layer()
    if layer is None or not orders:
        return
    if _serializer is None:  # its fields are built once, not per fill
        _serializer = OrderSerializer()
    messages = [
        (
            group_for(order.user_id),
            {"type": "order.changed", "order": _serializer.to_representation(order)},
        )
        for order in orders
    ]

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    async_to_sync(send_all)()


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def order_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "order", "order": event["order"]})
