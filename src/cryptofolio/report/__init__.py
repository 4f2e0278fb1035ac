"""The report stage of cryptofolio."""
