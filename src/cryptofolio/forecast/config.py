"""Specifications of a forecaster: features, network and training (small frozen dataclasses).

Everything here is plain Python, so it can be imported, stored and compared without PyTorch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from cryptofolio.errors import ForecastError


class Feature(StrEnum):
    """Per-asset, per-period input features built from OHLCV.

    * ``log-return``: :math:`\\log(C_t / C_{t-1})` of the close;
    * ``high-low-range``: :math:`\\log(H_t / L_t)`, the period's range (needs high and low);
    * ``volume-change``: :math:`\\log(1 + V_t) - \\log(1 + V_{t-1})` (``log1p`` so that a
      zero-volume period, e.g. exchange downtime, stays finite).
    """

    LOG_RETURN = "log-return"
    HIGH_LOW_RANGE = "high-low-range"
    VOLUME_CHANGE = "volume-change"


class HeadKind(StrEnum):
    """Output head: a Gaussian (mean and log-variance, trained by negative log-likelihood) or
    quantile heads (trained by the pinball loss)."""

    GAUSSIAN = "gaussian"
    QUANTILE = "quantile"


class GapPolicy(StrEnum):
    """What to do with missing or non-finite feature values *inside* an asset's history.

    ``raise`` (default) stops with an error naming the asset and dates; ``skip`` leaves out
    every window and target that touches such a period and reports how many were left out.
    """

    RAISE = "raise"
    SKIP = "skip"


@dataclass(frozen=True)
class FeatureConfig:
    """Which features, over how many periods.

    Attributes
    ----------
    lookback
        Window length L in periods (60 = 60 days on daily data, 60 hours on hourly data).
    features
        Features to use; ``None`` uses every feature the training data supports
        (see :func:`cryptofolio.forecast.features.supported_features`).
    """

    lookback: int = 60
    features: tuple[Feature, ...] | None = None

    def __post_init__(self) -> None:
        if self.lookback < 2:
            raise ForecastError(f"lookback must be at least 2 periods, got {self.lookback}")
        if self.features is not None:
            if not self.features:
                raise ForecastError("features must not be empty; leave it None to use all")
            object.__setattr__(self, "features", tuple(Feature(f) for f in self.features))


@dataclass(frozen=True)
class ModelConfig:
    """The LSTM-attention network.

    Attributes
    ----------
    hidden_sizes
        Units of the stacked LSTM layers, first to last (default two layers, 128 then 64).
    dropout
        Dropout rate between layers and before the head (0 disables it).
    attention_size
        Width of the additive scoring layer of the self-attention over time steps.
    head
        :class:`HeadKind`: Gaussian (mean + log-variance) or quantile heads.
    quantiles
        Quantile levels of the quantile head (must contain 0.5, used as the point forecast).
    asset_embedding_dim
        Size of a learned per-asset embedding appended to every time step; 0 = none
        (the model is then the same function for every asset).
    """

    hidden_sizes: tuple[int, ...] = (128, 64)
    dropout: float = 0.2
    attention_size: int = 32
    head: HeadKind = HeadKind.GAUSSIAN
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
    asset_embedding_dim: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_sizes", tuple(int(h) for h in self.hidden_sizes))
        object.__setattr__(self, "quantiles", tuple(sorted(float(q) for q in self.quantiles)))
        object.__setattr__(self, "head", HeadKind(self.head))
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ForecastError(f"hidden_sizes must be positive integers, got {self.hidden_sizes}")
        if not 0.0 <= self.dropout < 1.0:
            raise ForecastError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.head is HeadKind.QUANTILE:
            if 0.5 not in self.quantiles or any(not 0 < q < 1 for q in self.quantiles):
                raise ForecastError(
                    f"quantiles must lie in (0, 1) and include 0.5, got {self.quantiles}"
                )


@dataclass(frozen=True)
class TrainConfig:
    """How to fit the network.

    Attributes
    ----------
    epochs
        Maximum number of passes over the training windows.
    batch_size, learning_rate, weight_decay
        Adam optimiser settings.
    validation_fraction
        Fraction of the *latest* decision times held out (chronological split) for early
        stopping; the normalisation is computed on the earlier, training part only.
    patience
        Stop after this many epochs without a lower validation loss; the best weights are kept.
    seed
        Seeds every random draw (weights, dropout, shuffling) so a run is reproducible.
    device
        ``auto`` (CUDA when available, otherwise CPU), ``cpu`` or ``cuda``.
    gap_policy
        See :class:`GapPolicy`.
    sample_stride
        Use every k-th window per asset for training (1 = all; overlapping windows are
        highly redundant, a stride of 2-5 trains faster at little cost).
    max_train_periods
        Only the latest this many periods of the data are used (``None`` = all).
    grad_clip
        Clip the gradient norm at this value (0 = no clipping).
    threads
        PyTorch intra-op CPU threads while training and predicting (``None`` = leave
        PyTorch's setting). Default 1: small recurrent batches gain little from more threads
        and lose a lot when the cores are shared with other work.
    """

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    validation_fraction: float = 0.2
    patience: int = 5
    seed: int = 0
    device: str = "auto"
    gap_policy: GapPolicy = GapPolicy.RAISE
    sample_stride: int = 1
    max_train_periods: int | None = None
    grad_clip: float = 1.0
    threads: int | None = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "gap_policy", GapPolicy(self.gap_policy))
        if self.epochs < 1:
            raise ForecastError(f"epochs must be at least 1, got {self.epochs}")
        if not 0.0 < self.validation_fraction < 0.9:
            raise ForecastError(
                f"validation_fraction must be in (0, 0.9), got {self.validation_fraction}"
            )
        if self.sample_stride < 1:
            raise ForecastError(f"sample_stride must be >= 1, got {self.sample_stride}")


@dataclass(frozen=True)
class ForecastSpec:
    """Features + network + training: everything needed to train a forecaster."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastSpec:
        feats = dict(data["features"])
        if feats.get("features") is not None:
            feats["features"] = tuple(feats["features"])
        model = dict(data["model"])
        model["hidden_sizes"] = tuple(model["hidden_sizes"])
        model["quantiles"] = tuple(model["quantiles"])
        return cls(
            features=FeatureConfig(**feats),
            model=ModelConfig(**model),
            train=TrainConfig(**data["train"]),
        )
