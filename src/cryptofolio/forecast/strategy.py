"""``lstm-mvo``: a walk-forward backtest strategy that optimises on LSTM forecasts.

At each rebalance the strategy sees :class:`~cryptofolio.backtest.DecisionContext` (only rows
strictly before the decision time). Every ``retrain_every`` rebalances it retrains the
forecaster on that history alone (the latest ``TrainConfig.max_train_periods`` rows), then
forecasts the next-period return of each eligible asset, annualises it
(:mod:`cryptofolio.forecast.predict`) and passes it as ``expected_returns`` to
:func:`cryptofolio.optimize.build_portfolio`, with the covariance estimated on the backtest's
lookback window. Importing this module registers ``lstm-mvo`` with the backtester; PyTorch
is needed only when the strategy first trains.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cryptofolio.backtest.strategies import DecisionContext, OptimizerStrategy, register_strategy
from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast._torch import import_torch
from cryptofolio.forecast.config import (
    FeatureConfig,
    ForecastSpec,
    GapPolicy,
    ModelConfig,
    TrainConfig,
)
from cryptofolio.forecast.features import feature_frames, next_period_log_return, resolve_features
from cryptofolio.forecast.forecaster import PANEL_KEYS, asset_panels, window_rows
from cryptofolio.keywords import spec_of_keywords
from cryptofolio.optimize import Constraints, Objective, PortfolioConfig

#: Objectives that use expected returns (mean-variance family); others become max-utility.
MEAN_VARIANCE_OBJECTIVES = frozenset(
    {
        Objective.MAX_UTILITY,
        Objective.MAX_SHARPE,
        Objective.EFFICIENT_RISK,
        Objective.EFFICIENT_RETURN,
    }
)

DEFAULT_PORTFOLIO = PortfolioConfig(
    objective=Objective.MAX_UTILITY,
    constraints=Constraints(min_weight=0.0, max_weight=0.3),
)

DEFAULT_SPEC = ForecastSpec(
    features=FeatureConfig(lookback=60),
    model=ModelConfig(),
    train=TrainConfig(
        epochs=10,
        patience=3,
        sample_stride=2,
        max_train_periods=730,
        gap_policy=GapPolicy.SKIP,
    ),
)


@dataclass(frozen=True)
class RetrainRecord:
    """One (re)training inside the backtest."""

    decision_time: pd.Timestamp
    data_end: pd.Timestamp  # last row of the training data, strictly before decision_time
    assets: tuple[str, ...]
    warm_start: bool
    epochs: int
    seconds: float


@dataclass(frozen=True)
class Retraining:
    """When and how :class:`LstmMvoStrategy` retrains (see its parameters of the same names):
    every ``retrain_every`` rebalances, warm-started for ``finetune_epochs`` epochs, forecasting
    an asset only with ``min_train_windows`` complete training windows."""

    retrain_every: int = 1
    warm_start: bool = True
    finetune_epochs: int = 2
    min_train_windows: int = 60


class LstmMvoStrategy:
    """Mean-variance optimisation on LSTM-attention forecasts, retrained walk-forward.

    Parameters
    ----------
    config
        Optimiser configuration (default: max-utility, long-only, ``w <= 0.3``). An objective
        that ignores expected returns (min-variance, min-CVaR, ...) is replaced by
        max-utility, since the point of the strategy is to use the forecasts.
    spec
        Forecaster specification (default :data:`DEFAULT_SPEC`: lookback 60, LSTM 128/64,
        up to 10 epochs on the latest 730 rows, every 2nd window, gap windows skipped).
    retraining
        The four retraining settings below as one :class:`Retraining`; or give them as
        keywords, not both.
    retrain_every
        Retrain every K rebalances (1 = at every rebalance). The model is also retrained
        when an eligible asset is not known to the current model.
    warm_start
        Start each scheduled retraining from the previous weights (same assets) and train
        ``finetune_epochs`` epochs instead of ``spec.train.epochs``.
    finetune_epochs
        Epochs of a warm-started retraining.
    min_train_windows
        An eligible asset is forecast (and may get weight) only with at least this many
        complete training windows and a complete latest window; the others get no weight
        and are listed in :attr:`excluded`.
    transaction_cost, max_turnover
        As in :class:`~cryptofolio.backtest.OptimizerStrategy`.
    on_retrain
        Called with a :class:`RetrainRecord` after each training.

    Attributes
    ----------
    forecasts
        ``{decision time: forecast table}`` (see :class:`~cryptofolio.forecast.Forecast`).
    retrains
        The :class:`RetrainRecord` of every training.
    excluded
        ``{decision time: assets eligible but not forecastable}`` (only non-empty entries).
    """

    def __init__(
        self,
        config: PortfolioConfig | None = None,
        *,
        spec: ForecastSpec = DEFAULT_SPEC,
        retraining: Retraining | None = None,
        transaction_cost: bool = False,
        max_turnover: float | None = None,
        name: str = "lstm-mvo",
        on_retrain: Callable[[RetrainRecord], None] | None = None,
        **keywords: Any,
    ) -> None:
        retraining = spec_of_keywords(Retraining, retraining, keywords, where="LstmMvoStrategy")
        retrain_every = retraining.retrain_every
        if retrain_every < 1:
            raise ForecastError(f"retrain_every must be at least 1 rebalance, got {retrain_every}")
        cfg = config or DEFAULT_PORTFOLIO
        if cfg.objective not in MEAN_VARIANCE_OBJECTIVES:
            cfg = dataclasses.replace(cfg, objective=Objective.MAX_UTILITY)
        self.config = cfg
        self.spec = spec
        self.retrain_every = retrain_every
        self.warm_start = retraining.warm_start
        self.finetune_epochs = retraining.finetune_epochs
        self.min_train_windows = retraining.min_train_windows
        self.name = name
        self.on_retrain = on_retrain
        self._optimizer = OptimizerStrategy(
            cfg, name=name, transaction_cost=transaction_cost, max_turnover=max_turnover
        )
        self.forecaster: Any = None
        self._since_retrain = 0
        self.forecasts: dict[pd.Timestamp, pd.DataFrame] = {}
        self.retrains: list[RetrainRecord] = []
        self.excluded: dict[pd.Timestamp, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ helpers
    def _training_panels(self, history: Panels) -> Panels:
        n = self.spec.train.max_train_periods
        if n is None:
            return history
        return Panels(**{k: getattr(history, k).iloc[-n:] for k in PANEL_KEYS})

    def _sub(self, history: Panels, assets: tuple[str, ...]) -> Panels:
        """The training rows of ``assets`` (what :func:`train_forecaster` will see)."""
        return self._training_panels(asset_panels(history, assets))

    def _forecastable(self, history: Panels, eligible: tuple[str, ...]) -> tuple[str, ...]:
        """Eligible assets with a complete latest window and enough training windows."""
        if not eligible:
            return ()
        L = self.spec.features.lookback
        sub = self._sub(history, eligible)
        features = resolve_features(sub, self.spec.features.features)
        frames = feature_frames(sub, features)
        target = next_period_log_return(sub.close)
        keep = []
        for asset in eligible:
            complete = window_rows(frames, asset, L, target)
            if len(complete.valid) < L or not complete.valid[-L:].all():
                continue
            if len(complete.ends) >= self.min_train_windows:
                keep.append(asset)
        return tuple(keep)

    def _train(self, context: DecisionContext, assets: tuple[str, ...]) -> None:
        from cryptofolio.forecast.training import train_forecaster

        history = context.history
        data_end = history.close.index.max()
        if not data_end < context.timestamp:  # the engine guarantees it; never trust, verify
            raise ForecastError(
                f"lstm-mvo was given data up to {data_end} for a decision at "
                f"{context.timestamp}; training data must end strictly before the decision"
            )
        warm = (
            self.warm_start
            and self.forecaster is not None
            and self.forecaster.assets == assets
            and self.forecaster.features
            == resolve_features(self._sub(history, assets), self.spec.features.features)
        )
        spec = self.spec
        if warm:
            spec = dataclasses.replace(
                spec, train=dataclasses.replace(spec.train, epochs=self.finetune_epochs)
            )
        t0 = time.perf_counter()
        self.forecaster = train_forecaster(
            history, spec, assets=assets, warm_start=self.forecaster if warm else None
        )
        record = RetrainRecord(
            decision_time=context.timestamp,
            data_end=data_end,
            assets=assets,
            warm_start=warm,
            epochs=len(self.forecaster.report.epochs),
            seconds=time.perf_counter() - t0,
        )
        self.retrains.append(record)
        self._since_retrain = 0
        if self.on_retrain is not None:
            self.on_retrain(record)

    # ------------------------------------------------------------------ strategy API
    def target_weights(self, context: DecisionContext) -> pd.Series:
        """Retrain when due, forecast, and optimise on the forecasts."""
        from cryptofolio import optimize

        history = context.history
        assets = self._forecastable(history, context.eligible)
        left_out = tuple(a for a in context.eligible if a not in assets)
        if left_out:
            self.excluded[context.timestamp] = left_out
        if not assets:
            return pd.Series(dtype=float)
        due = (
            self.forecaster is None
            or self._since_retrain >= self.retrain_every
            or not set(assets) <= set(self.forecaster.assets)
        )
        if due:
            self._train(context, assets)
        self._since_retrain += 1
        forecast = self.forecaster.predict(history, assets=assets)
        self.forecasts[context.timestamp] = forecast.table
        mu = forecast.expected_returns()
        prices = history.close[list(assets)].tail(context.lookback)
        kwargs: dict[str, Any] = {}
        opt = self._optimizer
        if opt.transaction_cost or opt.max_turnover is not None:
            kwargs["previous_weights"] = (
                context.current_weights.reindex(list(assets)).fillna(0.0).astype(float)
            )
            kwargs["max_turnover"] = opt.max_turnover
            if opt.transaction_cost:
                sub_context = dataclasses.replace(context, eligible=assets)
                kwargs["transaction_cost"] = opt.cost_rates(sub_context)
        result = optimize.build_portfolio(prices, self.config, expected_returns=mu, **kwargs)
        return result.weights


def make_lstm_mvo(
    config: PortfolioConfig | None = None,
    transaction_cost: bool = False,
    max_turnover: float | None = None,
    name: str | None = None,
    **options: Any,
) -> LstmMvoStrategy:
    """Factory behind ``make_strategy("lstm-mvo", ...)``; ``options`` go to
    :class:`LstmMvoStrategy` (``spec``, ``retrain_every``, ``warm_start``, ...).

    Raises
    ------
    ForecastError
        PyTorch (the ``forecast`` extra) is not installed: the strategy could not train.
    """
    import_torch()
    return LstmMvoStrategy(
        config,
        transaction_cost=transaction_cost,
        max_turnover=max_turnover,
        name=name or "lstm-mvo",
        **options,
    )


register_strategy("lstm-mvo", make_lstm_mvo)
