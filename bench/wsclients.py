"""Websocket clients for bench/markets_ws.py, run in a process of their own.

Opens ``--clients`` connections to ``url``, prints ``ready <connected> <failed>``,
then records for each ``prices`` message the delay between its ``at`` (the
publisher's clock, same machine) and its arrival, until ``--messages`` arrived on
every connection or ``--timeout`` passed. Prints one JSON line of results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime

import websockets
from websockets.typing import Origin


async def client(
    url: str,
    origin: str,
    expected: int,
    delays: list[float],
    ready: asyncio.Event,
    done_by: list[float],
    counts: list[int],
) -> None:
    async with websockets.connect(
        url, origin=Origin(origin), open_timeout=60, max_queue=None
    ) as ws:
        counts[0] += 1
        received = 0
        await ready.wait()
        while received < expected and time.time() < done_by[0]:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, done_by[0] - time.time()))
            except TimeoutError:
                break
            arrived = time.time()
            if not isinstance(raw, str):
                continue
            # Only the stamp is read: parsing whole messages would make the clients, not
            # the server, the slow part of the measurement.
            if not raw.startswith('{"type": "prices"') and not raw.startswith('{"type":"prices"'):
                continue
            at = raw.rfind('"at": "')
            at = at + 7 if at >= 0 else raw.rfind('"at":"') + 6
            sent = datetime.fromisoformat(raw[at : raw.index('"', at)]).timestamp()
            delays.append(arrived - sent)
            received += 1


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--origin", required=True)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()

    delays: list[float] = []
    counts = [0]
    ready = asyncio.Event()
    done_by = [time.time() + 3600]
    tasks = []
    for _ in range(args.clients):
        tasks.append(
            asyncio.create_task(
                client(args.url, args.origin, args.messages, delays, ready, done_by, counts)
            )
        )
        await asyncio.sleep(0.002)  # a steady connect rate, as real clients arrive
    deadline = time.time() + 60
    while (
        counts[0] + sum(1 for t in tasks if t.done() and t.exception()) < args.clients
        and time.time() < deadline
    ):
        await asyncio.sleep(0.1)
    failed = sum(1 for t in tasks if t.done() and t.exception())
    print(f"ready {counts[0]} {failed}", flush=True)
    sys.stdin.readline()  # the publisher is about to publish
    done_by[0] = time.time() + args.timeout
    ready.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"connected": counts[0], "failed": failed, "delays": delays}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
