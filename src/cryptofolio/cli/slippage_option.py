"""``--slippage``: one syntax for every command that estimates trading costs (``backtest``,
``rebalance``, ``sweep``): ``none``, ``fixed:BPS`` or ``sqrt``, checked when the command line
is read."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from cryptofolio.costs import Slippage, parse_slippage
from cryptofolio.errors import CryptofolioError, DataError

SLIPPAGE_METAVAR = "<none|fixed:BPS|sqrt>"
SLIPPAGE_HELP = "none, fixed:BPS (e.g. fixed:5) or sqrt (impact = k·sqrt(trade / daily volume))."


@dataclass(frozen=True)
class SlippageChoice:
    """A ``--slippage`` value: the model and, for ``fixed:BPS``, its basis points (``None``:
    the bare ``fixed`` of ``rebalance``, whose bps come from ``--slippage-bps``)."""

    model: Slippage = Slippage.NONE
    bps: float | None = 0.0

    def __str__(self) -> str:
        if self.model is Slippage.FIXED and self.bps is not None:
            return f"fixed:{self.bps:g}"
        return self.model.value


def slippage_choice(value: str | SlippageChoice) -> SlippageChoice:
    """Parse ``none|fixed:BPS|sqrt`` (and a bare ``fixed``) for typer's ``parser=``.

    Raises
    ------
    typer.BadParameter
        Any other text, a negative or non-numeric BPS.
    """
    if isinstance(value, SlippageChoice):
        return value
    if value.strip().lower() == "fixed":
        return SlippageChoice(Slippage.FIXED, None)
    try:
        model, bps = parse_slippage(value)
    except CryptofolioError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return SlippageChoice(model, bps)


def resolved_slippage(
    choice: SlippageChoice, slippage_bps: float | None = None
) -> tuple[Slippage, float]:
    """``(model, bps)`` of a ``--slippage`` value; ``slippage_bps`` is ``rebalance``'s
    ``--slippage-bps`` (the older spelling of ``fixed:BPS``), ``None`` where there is none.

    Raises
    ------
    DataError
        A bare ``fixed`` without ``--slippage-bps``, or ``fixed:BPS`` with a different
        ``--slippage-bps``.
    """
    if choice.model is not Slippage.FIXED:
        return choice.model, 0.0
    if choice.bps is None:
        if slippage_bps is None:
            raise DataError("--slippage fixed needs its basis points: --slippage fixed:5")
        return Slippage.FIXED, float(slippage_bps)
    if slippage_bps not in (None, 0.0, choice.bps):
        raise DataError(
            f"--slippage {choice} and --slippage-bps {slippage_bps:g} disagree; give one "
            "(--slippage fixed:BPS)"
        )
    return Slippage.FIXED, choice.bps


def slippage_option(help_text: str = SLIPPAGE_HELP) -> object:
    """The ``typer.Option`` of ``--slippage`` (parsed and checked by :func:`slippage_choice`)."""
    return typer.Option(
        "--slippage",
        parser=slippage_choice,
        metavar=SLIPPAGE_METAVAR,
        show_default="none",
        help=help_text,
    )


#: ``--slippage none``: the default of every command.
NO_SLIPPAGE = SlippageChoice()
