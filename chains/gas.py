"""Gas: EIP-1559 base fee and slow/standard/fast tips from ``eth_feeHistory`` (or the
legacy gas price), the cost of a plain transfer, and estimates for a transaction.

Tips are the averages of the 10th, 50th and 90th percentile rewards over the last 20
blocks (zeros left out); when a chain reports no rewards, the node's
``eth_maxPriorityFeePerGas`` stands in. ``maxFeePerGas`` follows web3.py and ethers:
2 x next base fee + tip. Costs are the expected ones (base fee + tip). Cached a few
seconds per chain (``CHAIN_GAS_CACHE_SECONDS``): the fees, and the gas report whole, so
its USD figure may lag a new price by that long.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache

from chains.registry import Chain
from chains.rpc import RpcClient
from markets.selectors import coin_price_latest

GWEI = Decimal(10**9)
TRANSFER_GAS = 21_000
PERCENTILES = [10.0, 50.0, 90.0]


def gwei(wei: int) -> str:
    return str((Decimal(wei) / GWEI).quantize(Decimal("0.000000001")).normalize())


def native(chain: Chain, wei: int) -> Decimal:
    return (Decimal(wei) / Decimal(10**chain.native_decimals)).quantize(
        Decimal("0.000000000000000001")
    )


def plain(amount: Decimal) -> str:
    """A decimal without trailing zeros or an exponent: 0.000039375, not 3.9375E-5."""
    return format(amount.normalize(), "f")


def usd_for(chain: Chain, amount: Decimal) -> str | None:
    if chain.coin_id is None:
        return None
    tick = coin_price_latest(coin_id=chain.coin_id)
    if tick is None:
        return None
    return str((amount * tick.price).quantize(Decimal("0.01")))


def fees(chain: Chain, client: RpcClient) -> dict[str, Any]:
    """Wei figures: base fee (EIP-1559 chains), tips, gas price. Cached per chain."""
    key = f"chains:fees:{chain.chain_id}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    gas_price = client.gas_price()
    result: dict[str, Any] = {"base_fee": None, "tips": None, "gas_price": gas_price}
    if chain.eip1559:
        history = client.fee_history(20, PERCENTILES)
        base_fee = int(history["baseFeePerGas"][-1], 16)  # the next block's
        tips = []
        for column in range(len(PERCENTILES)):
            values = [
                int(row[column], 16) for row in history.get("reward") or [] if len(row) > column
            ]
            values = [value for value in values if value > 0]
            tips.append(sum(values) // len(values) if values else None)
        if any(tip is None for tip in tips):
            fallback = client.max_priority_fee()
            tips = [fallback if tip is None else tip for tip in tips]
        result.update(base_fee=base_fee, tips=tips)
    cache.set(key, result, settings.CHAIN_GAS_CACHE_SECONDS)
    return result


def gas_report(chain: Chain, client: RpcClient) -> dict[str, Any]:
    """The public gas figures of a chain, cached whole (USD included) like the fees, so a
    cached answer costs neither a node call nor a database query."""
    key = f"chains:gas:{chain.chain_id}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    figures = fees(chain, client)
    if figures["base_fee"] is not None:
        slow, standard, fast = figures["tips"]
        per_gas = figures["base_fee"] + standard
        priority = {"slow": gwei(slow), "standard": gwei(standard), "fast": gwei(fast)}
        base = gwei(figures["base_fee"])
    else:
        per_gas, priority, base = figures["gas_price"], None, None
    cost = native(chain, TRANSFER_GAS * per_gas)
    report = {
        "chain_id": chain.chain_id,
        "base_fee_gwei": base,
        "priority_fee_gwei": priority,
        "gas_price_gwei": gwei(figures["gas_price"]),
        "transfer_cost": {"native": plain(cost), "usd": usd_for(chain, cost)},
    }
    cache.set(key, report, settings.CHAIN_GAS_CACHE_SECONDS)
    return report


def estimate(chain: Chain, client: RpcClient, transaction: dict[str, Any]) -> dict[str, Any]:
    gas_limit = client.estimate_gas(transaction)
    figures = fees(chain, client)
    if figures["base_fee"] is not None:
        tip = figures["tips"][1]
        max_fee = 2 * figures["base_fee"] + tip
        expected = figures["base_fee"] + tip
    else:
        tip, max_fee, expected = 0, figures["gas_price"], figures["gas_price"]
    cost = native(chain, gas_limit * expected)
    return {
        "gas_limit": gas_limit,
        "max_fee_per_gas_wei": str(max_fee),
        "max_priority_fee_per_gas_wei": str(tip),
        "cost_native": plain(cost),
        "cost_usd": usd_for(chain, cost),
    }
