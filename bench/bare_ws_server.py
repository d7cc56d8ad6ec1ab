"""A bare ``websockets`` broadcast server: the floor bench/markets_ws.py compares with.

Like the ``ws`` process of the Procfile, it declines permessage-deflate. Each line on
stdin makes it broadcast one prices-shaped message stamped with now.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

import websockets

PRICES = [
    {"id": f"coin-{i}", "price_usd": "64250.12000000", "source": "simulated"} for i in range(10)
]


async def main(port: int) -> None:
    clients: set = set()

    async def handler(ws) -> None:
        clients.add(ws)
        try:
            await ws.send(json.dumps({"type": "snapshot", "prices": PRICES}))
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with websockets.serve(handler, "127.0.0.1", port, max_queue=None, compression=None):
        loop = asyncio.get_running_loop()
        print("listening", flush=True)
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            at = datetime.now(UTC).isoformat()
            websockets.broadcast(
                clients, json.dumps({"type": "prices", "prices": PRICES, "at": at})
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
