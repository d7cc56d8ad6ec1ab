"""Gas tiers from ``eth_feeHistory``: medians, zero rewards, floors, monotonic tiers, and
the estimate at each tier, against a stub JSON-RPC node serving recorded answers
(chains/tests/fixtures)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chains.local_evm import ACCOUNTS

pytestmark = pytest.mark.django_db
SENDER, _ = ACCOUNTS[0]
RECEIVER, _ = ACCOUNTS[1]
ONE_GWEI = "0x3b9aca00"
TRANSFER_GAS = "0x5208"  # 21,000


def tiers(body: dict) -> dict[str, Decimal]:
    return {tier: Decimal(tip) for tier, tip in body["priority_fee_gwei"].items()}


def test_one_outlier_block_does_not_move_fast(client, stub_rpc, fee_history):
    # given 20 Ethereum blocks tipping 2.15-3.3 gwei at the 90th percentile, one of them
    # carrying a 500 gwei bundle (the old mean made "fast" 27.4975 gwei)
    stub_rpc(
        1,
        {
            "eth_gasPrice": "0x31a0f2b00",
            "eth_feeHistory": fee_history("fee_history_outlier"),
            "eth_maxPriorityFeePerGas": ONE_GWEI,
        },
    )

    # when
    body = client.get("/api/chains/1/gas").json()

    # then each tier is the median of its percentile, above Ethereum's 1 / 1.5 / 2 floors
    assert tiers(body) == {
        "slow": Decimal("1.12"),
        "standard": Decimal("1.9"),
        "fast": Decimal("2.6"),
    }
    assert body["base_fee_gwei"] == "12.26"  # the next block's, the last baseFeePerGas


@pytest.mark.parametrize(
    ("chain_id", "floors"),
    [
        (1, {"slow": "1", "standard": "1.5", "fast": "2"}),  # Ethereum: MetaMask's floors
        (42161, {"slow": "0", "standard": "0", "fast": "0"}),  # Arbitrum: no tips
        (8453, {"slow": "0.001", "standard": "0.001", "fast": "0.001"}),  # Base
    ],
)
def test_a_window_without_rewards_gives_the_chains_floors(
    client, stub_rpc, fee_history, chain_id, floors
):
    # given empty blocks and blocks of tipless transactions only, and a node whose own
    # suggestion is 1 gwei (what the old code copied into every tier)
    stub_rpc(
        chain_id,
        {
            "eth_gasPrice": "0x4d6ac0",
            "eth_feeHistory": fee_history("fee_history_zero_rewards"),
            "eth_maxPriorityFeePerGas": ONE_GWEI,
        },
    )

    # when
    body = client.get(f"/api/chains/{chain_id}/gas").json()

    # then
    assert body["priority_fee_gwei"] == floors


def test_a_node_suggestion_never_orders_the_tiers_wrongly(client, stub_rpc, fee_history):
    # given an OP Stack chain whose 10th percentile is always a tipless deposit, and a node
    # suggesting 0.02 gwei: the old code made that "slow", above standard (0.0015) and fast
    stub_rpc(
        8453,
        {
            "eth_gasPrice": "0x7b0c18",
            "eth_feeHistory": fee_history("fee_history_tipless_deposits"),
            "eth_maxPriorityFeePerGas": hex(20_000_000),
        },
    )

    # when
    body = client.get("/api/chains/8453/gas").json()

    # then slow is Base's floor, the others the medians
    tips = tiers(body)
    assert tips["slow"] <= tips["standard"] <= tips["fast"]
    assert tips == {
        "slow": Decimal("0.001"),
        "standard": Decimal("0.0014"),
        "fast": Decimal("0.0105"),
    }


def test_tiers_stay_ordered_when_the_node_reports_percentiles_out_of_order(client, stub_rpc):
    # given a node whose 10th percentile rewards exceed its 50th and 90th (no correct
    # node does this; the tiers must not follow it)
    gwei = 10**9
    history = {
        "oldestBlock": "0x10",
        "baseFeePerGas": [hex(10 * gwei)] * 4,
        "gasUsedRatio": [0.5, 0.5, 0.5],
        "reward": [[hex(5 * gwei), hex(3 * gwei), hex(4 * gwei)]] * 3,
    }
    stub_rpc(1, {"eth_gasPrice": hex(13 * gwei), "eth_feeHistory": history})

    # when
    body = client.get("/api/chains/1/gas").json()

    # then
    assert body["priority_fee_gwei"] == {"slow": "5", "standard": "5", "fast": "5"}


def test_a_garbled_fee_history_is_a_502_not_a_500(client, stub_rpc, fee_history):
    history = fee_history("fee_history_outlier")
    history["reward"][3] = ["0xZZ", "0x1", "0x2"]
    stub_rpc(1, {"eth_gasPrice": ONE_GWEI, "eth_feeHistory": history})

    response = client.get("/api/chains/1/gas")

    assert response.status_code == 502
    assert response.json()["code"] == "chain_unavailable"


# --- the estimate at a tier ---------------------------------------------------------------


@pytest.fixture
def ethereum_node(stub_rpc, fee_history):
    """Ethereum with the outlier window: next base fee 12.26 gwei; tips 1.12 / 1.9 / 2.6."""
    return stub_rpc(
        1,
        {
            "eth_gasPrice": "0x31a0f2b00",
            "eth_feeHistory": fee_history("fee_history_outlier"),
            "eth_estimateGas": TRANSFER_GAS,
        },
    )


def estimate(client, chain_id: int, **extra: str):
    body = {"from": SENDER, "to": RECEIVER, "value_wei": str(10**15), **extra}
    return client.post(f"/api/chains/{chain_id}/estimate", body, content_type="application/json")


@pytest.mark.parametrize(
    ("tier", "tip", "max_fee", "cost"),
    [
        # max fee = 2 x 12.26 gwei + tip; cost = 21,000 x (12.26 gwei + tip)
        ("slow", "1120000000", "25640000000", "0.00028098"),
        ("standard", "1900000000", "26420000000", "0.00029736"),
        ("fast", "2600000000", "27120000000", "0.00031206"),
    ],
)
def test_the_estimate_uses_the_chosen_tiers_tip(client, ethereum_node, tier, tip, max_fee, cost):
    response = estimate(client, 1, tier=tier)

    assert response.status_code == 200
    body = response.json()
    assert body["gas_limit"] == 21000
    assert body["max_priority_fee_per_gas_wei"] == tip
    assert body["max_fee_per_gas_wei"] == max_fee
    assert body["cost_native"] == cost


def test_the_estimate_defaults_to_standard(client, ethereum_node):
    default = estimate(client, 1).json()

    assert default == estimate(client, 1, tier="standard").json()
    assert default["max_priority_fee_per_gas_wei"] == "1900000000"


@pytest.mark.parametrize("tier", ["turbo", "", "Fast", "2"])
def test_an_unknown_tier_is_a_400_naming_tier(client, ethereum_node, tier):
    response = estimate(client, 1, tier=tier)

    assert response.status_code == 400
    assert "tier" in response.json()["errors"]
    assert ethereum_node == []  # refused before asking the node anything


# --- chains without EIP-1559 ------------------------------------------------------------------


@pytest.fixture
def bnb_node(stub_rpc):
    return stub_rpc(56, {"eth_gasPrice": hex(100_000_000), "eth_estimateGas": TRANSFER_GAS})


def test_a_legacy_chain_reports_its_gas_price_and_no_tiers(client, bnb_node):
    body = client.get("/api/chains/56/gas").json()

    assert body["base_fee_gwei"] is None
    assert body["priority_fee_gwei"] is None
    assert body["gas_price_gwei"] == "0.1"
    assert body["transfer_cost"]["native"] == "0.0000021"
    assert "eth_feeHistory" not in bnb_node


@pytest.mark.parametrize("tier", ["slow", "standard", "fast"])
def test_a_legacy_chain_estimates_at_its_gas_price_whatever_the_tier(client, bnb_node, tier):
    body = estimate(client, 56, tier=tier).json()

    assert body["max_fee_per_gas_wei"] == "100000000"
    assert body["max_priority_fee_per_gas_wei"] == "0"
    assert body["cost_native"] == "0.0000021"
