"""The EVM chains CryptoVault supports: ids, native currencies, explorers, RPC URLs, and
the least tip each gas tier may suggest.

RPC URLs come from ``CHAIN_RPC_<chain id>`` (settings.CHAIN_RPC_URLS); a chain without
one is listed (wallets can still switch to it) but cannot be queried by the server.

Tip floors (``maxPriorityFeePerGas``, gwei) per tier. chains.gas raises each tier's
median tip to its floor, so a quiet chain (empty blocks, zero rewards) still suggests a
tip its validators or sequencer accept:

=====  ============  =====  ========  =====  ==================================================
id     chain          slow  standard   fast  why
=====  ============  =====  ========  =====  ==================================================
1      Ethereum          1       1.5      2  MetaMask's fallback floors on L1 (wallets-and-gas.md,
                                             "How the references pick fee tiers"); web3.py clamps
                                             its own fallback to 1-1.5
137    Polygon PoS      25        30     35  25 is the minimum tip bor enforces since PIP-35 (bor
                                             v1.3.4, 2024); 30 the validators' minimum before it,
                                             still many wallets' default; 35 our own step up
42161  Arbitrum One      0         0      0  the sequencer collects no tips unless a DAO vote
                                             turns it on (ArbOS 61; Arbitrum docs, "Priority
                                             fees"): revisit if Arbitrum One does
10     OP Mainnet    0.001     0.001  0.001  viem's default tip for OP Stack chains (0.001 gwei);
8453   Base          0.001     0.001  0.001  Base's own eth_maxPriorityFeePerGas example answers
                                             the same (0xf4240 wei)
56     BNB Chain       0.1       0.1    0.1  not used while BNB Chain is priced the legacy way
                                             (eth_gasPrice as the node says); the validators'
                                             minimum gas price was cut to 0.1 gwei in 2025 (then
                                             0.05): the higher one, so a tip is never refused
1337   Local dev         1       1.5      2  the L1 floors: the dev chain stands in for Ethereum
=====  ============  =====  ========  =====  ==================================================

Floors are a chain's protocol or wallet conventions, not market data: revisit them when a
chain changes its minimum (Polygon and BNB Chain have, more than once).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings


class TipFloors(NamedTuple):
    """The least tip (wei per gas) each tier may suggest on a chain."""

    slow: int
    standard: int
    fast: int


def _gwei_floors(slow: str, standard: str, fast: str) -> TipFloors:
    wei = [int(Decimal(value) * 10**9) for value in (slow, standard, fast)]
    return TipFloors(*wei)


@dataclass(frozen=True)
class Chain:
    """A supported EVM chain; tip floors never decrease from slow to fast."""

    chain_id: int
    name: str
    native_symbol: str
    native_name: str
    native_decimals: int
    explorer_url: str
    eip1559: bool
    coin_id: str | None  # the CoinGecko id of the native coin, for USD values
    public_rpc_url: str  # offered to wallets that do not know the chain yet (EIP-3085)
    tip_floors: TipFloors

    def __post_init__(self) -> None:
        if not 0 <= self.tip_floors.slow <= self.tip_floors.standard <= self.tip_floors.fast:
            raise ValueError(f"{self.name}: tip floors must not decrease from slow to fast")

    @property
    def rpc_url(self) -> str | None:
        urls: dict[int, str] = settings.CHAIN_RPC_URLS
        return urls.get(self.chain_id)

    @property
    def hex_id(self) -> str:
        return hex(self.chain_id)


# (id, name, symbol, native name, decimals, explorer, EIP-1559, CoinGecko id, public RPC,
#  tip floors in gwei: slow, standard, fast; sources in the module docstring)
_TABLE = [
    (1, "Ethereum", "ETH", "Ether", 18, "https://etherscan.io", True, "ethereum",
     "https://ethereum-rpc.publicnode.com", _gwei_floors("1", "1.5", "2")),
    (137, "Polygon", "POL", "POL", 18, "https://polygonscan.com", True, None,
     "https://polygon-rpc.com", _gwei_floors("25", "30", "35")),
    (42161, "Arbitrum One", "ETH", "Ether", 18, "https://arbiscan.io", True, "ethereum",
     "https://arb1.arbitrum.io/rpc", _gwei_floors("0", "0", "0")),
    (10, "OP Mainnet", "ETH", "Ether", 18, "https://optimistic.etherscan.io", True, "ethereum",
     "https://mainnet.optimism.io", _gwei_floors("0.001", "0.001", "0.001")),
    (8453, "Base", "ETH", "Ether", 18, "https://basescan.org", True, "ethereum",
     "https://mainnet.base.org", _gwei_floors("0.001", "0.001", "0.001")),
    (56, "BNB Chain", "BNB", "BNB", 18, "https://bscscan.com", False, "binancecoin",
     "https://bsc-dataseed.bnbchain.org", _gwei_floors("0.1", "0.1", "0.1")),
    (1337, "Local dev chain", "ETH", "Ether", 18, "", True, "ethereum", "http://127.0.0.1:8545",
     _gwei_floors("1", "1.5", "2")),
]  # fmt: skip
CHAINS: dict[int, Chain] = {row[0]: Chain(*row) for row in _TABLE}


def chain_get(chain_id: int) -> Chain | None:
    return CHAINS.get(chain_id)
