"""Gas: EIP-1559 base fee and slow/standard/fast tips from ``eth_feeHistory`` (or the
legacy gas price), the cost of a plain transfer, and estimates for a transaction.

Tiers. ``eth_feeHistory`` over the last 20 blocks at the 10th, 50th and 90th reward
percentiles (slow, standard, fast). Each tier's tip is the **median** over the window's
blocks of that block's reward at the tier's percentile (the lower middle value: a tip some
block actually paid, in whole wei), so one block with a 500 gwei bundle moves nothing.
Empty blocks (``gasUsedRatio`` 0) are left out: their zero rewards are no price anybody
paid. Zero rewards in blocks with transactions count: on a chain where people tip 0, the
tip is 0. The result is then raised to the chain's tip floor (chains.registry: Ethereum
1 / 1.5 / 2 gwei, Polygon 25 / 30 / 35, OP and Base 0.001, Arbitrum 0), and each tier to
at least the one below it, so slow <= standard <= fast whatever the node reports. A
window with no transactions at all gives the floors. The node's own
``eth_maxPriorityFeePerGas`` is not consulted: filling one tier from it could order the
tiers wrongly, and the floors already cover a quiet chain.

For comparison (wallets-and-gas.md): MetaMask's fallback takes the median too, over 5
blocks at percentiles 10 / 20 / 30 scaled by 0.94 / 0.97 / 0.98, with the same L1 floors;
web3.py averages the 5th percentile and clamps it to 1-1.5 gwei.

Fees. ``maxFeePerGas`` follows web3.py and ethers: 2 x next base fee + the tier's tip
(the next block's base fee is the last entry of ``baseFeePerGas``), which still covers
the base fee after five full blocks (+12.5 % each). Costs are the expected ones (base
fee + tip). Chains without EIP-1559 use ``eth_gasPrice`` as the node says; they have no
tiers, and the estimate ignores the tier.

Cached a few seconds per chain (``CHAIN_GAS_CACHE_SECONDS``): the fees, and the gas
report whole, so its USD figure may lag a new price by that long.

``gas_report`` and ``gas_estimate`` are what the API calls: they reach the chain's node
through ``chains.nodes``, which turns its failures into the API's answers. The gas
report is a GET that reads the outside world by nature (fees are the node's, now); the
cache keeps that to one node call per chain every few seconds, whatever the traffic.
"""

from __future__ import annotations

from decimal import Decimal
from statistics import median_low
from typing import Any, Literal, get_args

from django.conf import settings
from django.core.cache import cache

from chains.nodes import node_answering, node_client
from chains.registry import Chain, TipFloors
from chains.rpc import RpcClient, RpcError
from cryptovault.money import CENT
from markets.selectors import coin_price_latest

GWEI = Decimal(10**9)
TRANSFER_GAS = 21_000
Tier = Literal["slow", "standard", "fast"]
TIERS: tuple[Tier, ...] = get_args(Tier)
FEE_HISTORY_BLOCKS = 20
PERCENTILES = [10.0, 50.0, 90.0]  # one per tier, in TIERS order


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
    # The context's rounding (half even), as ever; money.cents would round half up.
    return str((amount * tick.price).quantize(CENT))


def tips_from_history(history: dict[str, Any], floors: TipFloors) -> dict[str, int]:
    """Tips in wei per tier: the median reward of the window's non-empty blocks at the
    tier's percentile, at least the chain's floor, and never below the tier before."""
    ratios = history.get("gasUsedRatio") or []
    rows = [
        row
        for index, row in enumerate(history.get("reward") or [])
        if index >= len(ratios) or ratios[index] != 0  # an empty block paid no price
    ]
    tips: dict[str, int] = {}
    below = 0
    for column, tier in enumerate(TIERS):
        rewards = [int(row[column], 16) for row in rows if len(row) > column]
        market = median_low(rewards) if rewards else 0
        below = max(market, floors[column], below)
        tips[tier] = below
    return tips


def fees(chain: Chain, client: RpcClient) -> dict[str, Any]:
    """Wei figures: base fee and tips per tier (EIP-1559 chains), gas price. Cached per
    chain."""
    key = f"chains:fees:v2:{chain.chain_id}"  # v2: tips became a dict by tier
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    gas_price = client.gas_price()
    result: dict[str, Any] = {"base_fee": None, "tips": None, "gas_price": gas_price}
    if chain.eip1559:
        history = client.fee_history(FEE_HISTORY_BLOCKS, PERCENTILES)
        try:
            base_fee = int(history["baseFeePerGas"][-1], 16)  # the next block's
            tips = tips_from_history(history, chain.tip_floors)
        except (TypeError, ValueError, IndexError) as error:  # a node's answer, not our bug
            raise RpcError("eth_feeHistory: unexpected answer") from error
        result.update(base_fee=base_fee, tips=tips)
    cache.set(key, result, settings.CHAIN_GAS_CACHE_SECONDS)
    return result


def gas_report(*, chain: Chain) -> dict[str, Any]:
    """The public gas figures of a chain, cached whole (USD included) like the fees, so a
    cached answer costs neither a node call nor a database query."""
    client = node_client(chain)
    key = f"chains:gas:{chain.chain_id}"
    cached = cache.get(key)
    if cached is not None:
        return dict(cached)
    with node_answering(chain):
        figures = fees(chain, client)
    if figures["base_fee"] is not None:
        tips = figures["tips"]
        per_gas = figures["base_fee"] + tips["standard"]
        priority = {tier: gwei(tips[tier]) for tier in TIERS}
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


def gas_estimate(
    *, chain: Chain, sender: str, to: str, value_wei: int, data: str, tier: Tier = "standard"
) -> dict[str, Any]:
    """Gas limit and fees for a transaction at a tier (legacy chains have one gas price,
    whatever the tier)."""
    client = node_client(chain)
    transaction = {"from": sender, "to": to, "value": hex(value_wei), "data": data}
    with node_answering(chain, estimating=True):
        gas_limit = client.estimate_gas(transaction)
        figures = fees(chain, client)
    if figures["base_fee"] is not None:
        tip = figures["tips"][tier]
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
