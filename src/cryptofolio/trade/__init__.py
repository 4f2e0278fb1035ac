"""The trade stage of cryptofolio."""
