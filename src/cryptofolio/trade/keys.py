"""Exchange API credentials: from environment variables or a TOML file outside the repository.

Lookup order for exchange ``binance`` (any ccxt id works the same way):

1. environment variables ``CRYPTOFOLIO_BINANCE_API_KEY`` and ``CRYPTOFOLIO_BINANCE_SECRET``
   (and ``CRYPTOFOLIO_BINANCE_PASSWORD`` for exchanges that need a passphrase);
2. the keys file, by default ``$XDG_CONFIG_HOME/cryptofolio/keys.toml`` (``~/.config/...``),
   overridable with ``CRYPTOFOLIO_KEYS_FILE`` or an explicit path::

       [binance]
       api_key = "..."
       secret = "..."

       [bybit]
       api_key = "..."
       secret = "..."

Credentials never appear in ``repr``/``str``; :func:`redact` scrubs them from any text (exception
messages, log records) before it is shown.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cryptofolio.errors import TradeError

MASK = "***"


@dataclass(frozen=True)
class Credentials:
    """API credentials of one exchange account. The secret parts never show in ``repr``."""

    exchange: str
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    source: str = "environment"

    def secrets(self) -> list[str]:
        """The values that must never be shown."""
        return [s for s in (self.api_key, self.secret, self.password) if s]

    def ccxt_config(self) -> dict[str, str]:
        """The ccxt constructor entries for these credentials."""
        cfg = {"apiKey": self.api_key, "secret": self.secret}
        if self.password:
            cfg["password"] = self.password
        return cfg


def default_keys_file() -> Path:
    """``$CRYPTOFOLIO_KEYS_FILE`` or ``$XDG_CONFIG_HOME/cryptofolio/keys.toml``."""
    env = os.environ.get("CRYPTOFOLIO_KEYS_FILE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "cryptofolio" / "keys.toml"


def _env_name(exchange: str, part: str) -> str:
    return f"CRYPTOFOLIO_{exchange.upper().replace('-', '_')}_{part}"


def load_credentials(exchange: str, keys_file: str | Path | None = None) -> Credentials | None:
    """Find credentials for ``exchange``; ``None`` when there are none (public calls only).

    Raises
    ------
    TradeError
        If only one of key and secret is set, or the keys file cannot be parsed (the message
        names the variable or file, never a value).
    """
    exchange = exchange.lower()
    key = os.environ.get(_env_name(exchange, "API_KEY"))
    secret = os.environ.get(_env_name(exchange, "SECRET"))
    password = os.environ.get(_env_name(exchange, "PASSWORD"))
    if key or secret:
        if not (key and secret):
            missing = _env_name(exchange, "SECRET" if key else "API_KEY")
            raise TradeError(f"{missing} is not set; set both the API key and the secret")
        return Credentials(exchange, key, secret, password or None, source="environment")
    path = Path(keys_file).expanduser() if keys_file is not None else default_keys_file()
    if not path.exists():
        if keys_file is not None:
            raise TradeError(f"keys file {path} does not exist")
        return None
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        # the decode error text may quote a line of the file: do not pass it on
        raise TradeError(
            f"keys file {path} is not valid TOML ({type(exc).__name__}); expected sections "
            "like [binance] with api_key and secret"
        ) from None
    section = data.get(exchange)
    if section is None:
        return None
    if not isinstance(section, dict) or not section.get("api_key") or not section.get("secret"):
        raise TradeError(f"keys file {path}: section [{exchange}] needs both api_key and secret")
    return Credentials(
        exchange,
        str(section["api_key"]),
        str(section["secret"]),
        str(section["password"]) if section.get("password") else None,
        source=str(path),
    )


def redact(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """Replace every secret value in ``text`` by ``***``."""
    for s in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from records (ccxt logs request headers at DEBUG)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is passed on untouched
            return True
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER: RedactingFilter | None = None
_LOGGERS = ("ccxt", "ccxt.base.exchange", "cryptofolio")


def install_log_redaction(secrets: list[str]) -> RedactingFilter:
    """Scrub ``secrets`` from every record of the ``ccxt`` and ``cryptofolio`` loggers and of
    the root handlers (ccxt logs request headers, API key included, at DEBUG).

    One shared filter is attached once; later calls add their secrets to it. Returns it.
    """
    global _FILTER
    if _FILTER is None:
        _FILTER = RedactingFilter([])
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    _FILTER.secrets.extend(s for s in secrets if s and s not in _FILTER.secrets)
    return _FILTER
