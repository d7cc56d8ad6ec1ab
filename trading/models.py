"""Trading models arrive with the trading issue."""
