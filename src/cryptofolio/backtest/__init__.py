"""The backtest stage of cryptofolio."""
