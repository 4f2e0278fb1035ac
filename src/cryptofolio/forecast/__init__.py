"""The forecast stage of cryptofolio."""
