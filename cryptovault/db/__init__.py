"""Database backends of CryptoVault (``cryptovault.db.sqlite3``: SQLite with exact decimals)."""
