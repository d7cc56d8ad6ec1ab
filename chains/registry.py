"""The EVM chains CryptoVault supports: ids, native currencies, explorers, RPC URLs.

RPC URLs come from ``CHAIN_RPC_<chain id>`` (settings.CHAIN_RPC_URLS); a chain without
one is listed (wallets can still switch to it) but cannot be queried by the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Chain:
    chain_id: int
    name: str
    native_symbol: str
    native_name: str
    native_decimals: int
    explorer_url: str
    eip1559: bool
    coin_id: str | None  # the CoinGecko id of the native coin, for USD values
    public_rpc_url: str  # offered to wallets that do not know the chain yet (EIP-3085)

    @property
    def rpc_url(self) -> str | None:
        urls: dict[int, str] = settings.CHAIN_RPC_URLS
        return urls.get(self.chain_id)

    @property
    def hex_id(self) -> str:
        return hex(self.chain_id)


# (id, name, symbol, native name, decimals, explorer, EIP-1559, CoinGecko id, public RPC)
_TABLE = [
    (1, "Ethereum", "ETH", "Ether", 18, "https://etherscan.io", True, "ethereum",
     "https://ethereum-rpc.publicnode.com"),
    (137, "Polygon", "POL", "POL", 18, "https://polygonscan.com", True, None,
     "https://polygon-rpc.com"),
    (42161, "Arbitrum One", "ETH", "Ether", 18, "https://arbiscan.io", True, "ethereum",
     "https://arb1.arbitrum.io/rpc"),
    (10, "OP Mainnet", "ETH", "Ether", 18, "https://optimistic.etherscan.io", True, "ethereum",
     "https://mainnet.optimism.io"),
    (8453, "Base", "ETH", "Ether", 18, "https://basescan.org", True, "ethereum",
     "https://mainnet.base.org"),
    (56, "BNB Chain", "BNB", "BNB", 18, "https://bscscan.com", False, "binancecoin",
     "https://bsc-dataseed.bnbchain.org"),
    (1337, "Local dev chain", "ETH", "Ether", 18, "", True, "ethereum", "http://127.0.0.1:8545"),
]  # fmt: skip
CHAINS: dict[int, Chain] = {row[0]: Chain(*row) for row in _TABLE}


def chain_get(chain_id: int) -> Chain | None:
    return CHAINS.get(chain_id)
