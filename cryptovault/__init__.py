"""CryptoVault: crypto paper trading with live prices and on-chain wallets."""

__version__ = "0.1.0"
