"""Train a :class:`~cryptofolio.forecast.forecaster.Forecaster` on market panels.

Chronological split: the latest ``validation_fraction`` of decision times is held out for
early stopping; feature normalisation and target scale come from the earlier, training part
only. Every random draw is seeded, and deterministic algorithms are requested, so the same
data and spec give the same model on the same machine.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from cryptofolio.data import Panels
from cryptofolio.errors import ForecastError
from cryptofolio.forecast._torch import import_torch, resolve_device, torch_threads
from cryptofolio.forecast.config import ForecastSpec
from cryptofolio.forecast.features import (
    check_gaps,
    feature_frames,
    fit_normalisation,
    infer_periods_per_year,
    make_windows,
    next_period_log_return,
    resolve_features,
    stack_features,
    valid_rows,
    window_end_rows,
)
from cryptofolio.forecast.forecaster import EpochLog, Forecaster, TrainingReport
from cryptofolio.forecast.model import LSTMAttentionNet, loss_function

torch = import_torch()

EpochCallback = Callable[[EpochLog], None]


def _restrict(panels: Panels, assets: tuple[str, ...], max_periods: int | None) -> Panels:
    missing = [a for a in assets if a not in panels.close.columns]
    if missing:
        raise ForecastError(
            f"asset(s) {', '.join(missing)} are not in the data; available: "
            f"{', '.join(panels.close.columns)}"
        )
    cols = list(assets)
    frames = {
        k: getattr(panels, k).reindex(columns=cols)
        for k in ("close", "volume", "market_cap", "open", "high", "low")
    }
    close = frames["close"]
    keep = close.notna().any(axis=1)
    if not keep.any():
        raise ForecastError(f"no close prices at all for {', '.join(cols)}")
    index = close.index[keep.to_numpy()]
    first, last = index[0], index[-1]
    rows = (close.index >= first) & (close.index <= last)
    frames = {k: v.loc[rows] for k, v in frames.items()}
    if max_periods is not None:
        frames = {k: v.iloc[-max_periods:] for k, v in frames.items()}
    return Panels(**frames)


def _batches(n: int, size: int, generator) -> list:  # type: ignore[no-untyped-def]
    order = torch.randperm(n, generator=generator)
    return [order[i : i + size] for i in range(0, n, size)]


def train_forecaster(
    panels: Panels,
    spec: ForecastSpec = ForecastSpec(),
    *,
    assets: list[str] | tuple[str, ...] | None = None,
    on_epoch: EpochCallback | None = None,
    warm_start: Forecaster | None = None,
) -> Forecaster:
    """Train one LSTM-attention network shared across ``assets`` on ``panels``.

    Parameters
    ----------
    panels
        Market data (see :func:`cryptofolio.data.to_panels`); every row is used for training
        or validation, so pass only data strictly before any date you later forecast.
    spec
        Features, network and training settings.
    assets
        Assets to train on (default: every column of ``panels.close``).
    on_epoch
        Called after every epoch with its :class:`EpochLog` (the CLI draws a progress bar).
    warm_start
        A forecaster with the same assets, features and network whose weights initialise
        this one (used by the walk-forward backtest to retrain cheaply); normalisation is
        refitted on the new training data.

    Returns
    -------
    Forecaster
        Holding the best weights by validation loss, the normalisation and a
        :class:`TrainingReport`.

    Raises
    ------
    ForecastError
        Unknown assets, a lookback longer than an asset's usable data, missing features
        inside an asset's history (under ``gap_policy='raise'``), constant features, or a
        validation split that leaves no windows on one side.

    PyTorch runs with ``spec.train.threads`` CPU threads for the duration.
    """
    with torch_threads(spec.train.threads):
        return _train(panels, spec, assets=assets, on_epoch=on_epoch, warm_start=warm_start)


def _train(
    panels: Panels,
    spec: ForecastSpec = ForecastSpec(),
    *,
    assets: list[str] | tuple[str, ...] | None = None,
    on_epoch: EpochCallback | None = None,
    warm_start: Forecaster | None = None,
) -> Forecaster:
    """The training itself (see :func:`train_forecaster`)."""
    fcfg, mcfg, tcfg = spec.features, spec.model, spec.train
    chosen = tuple(assets) if assets is not None else tuple(panels.close.columns)
    if not chosen:
        raise ForecastError("no assets to train on")
    sub = _restrict(panels, chosen, tcfg.max_train_periods)
    features = resolve_features(sub, fcfg.features)
    frames = feature_frames(sub, features)
    target = next_period_log_return(sub.close)
    skipped = check_gaps(frames, chosen, tcfg.gap_policy)
    L = fcfg.lookback
    index = sub.close.index
    ends = _window_ends(frames, target, chosen, L, tcfg.sample_stride)
    cut, train_ends, val_ends = _split(ends, tcfg.validation_fraction, index, L)
    norm = fit_normalisation(frames, target, train_ends, L)
    train_w = make_windows(frames, target, norm, train_ends, L, chosen)
    val_w = make_windows(frames, target, norm, val_ends, L, chosen)
    scale = norm.target_scale.to_numpy()

    device = resolve_device(tcfg.device)
    previous_det = torch.are_deterministic_algorithms_enabled()
    if device != "cpu":  # CPU kernels are deterministic already (same threads, same result)
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        torch.manual_seed(tcfg.seed)
        module = LSTMAttentionNet(len(features), len(chosen), mcfg)
        if warm_start is not None:
            _check_warm_start(warm_start, chosen, features, spec)
            module.load_state_dict(warm_start.module.state_dict())
        module.to(device)
        train_t = _tensors(train_w, scale, device)
        val_t = _tensors(val_w, scale, device)
        logs, best_epoch, best_loss = _fit(module, train_t, val_t, spec, device, on_epoch)
    finally:
        if device != "cpu":
            torch.use_deterministic_algorithms(previous_det)

    report = TrainingReport(
        epochs=tuple(logs),
        best_epoch=best_epoch,
        best_val_loss=best_loss,
        stopped_early=len(logs) < tcfg.epochs,
        n_train=len(train_w),
        n_val=len(val_w),
        train_start=pd.Timestamp(train_w.timestamps.min()),
        train_end=pd.Timestamp(index[cut]),
        val_end=pd.Timestamp(val_w.timestamps.max()),
        skipped_gap_periods=skipped,
        device=device,
    )
    return Forecaster(
        spec=spec,
        features=features,
        assets=chosen,
        normalisation=norm,
        periods_per_year=infer_periods_per_year(index),
        report=report,
        module=module,
        device=device,
    )


def _window_ends(
    frames: dict, target: pd.DataFrame, chosen: tuple[str, ...], L: int, stride: int
) -> dict[str, np.ndarray]:
    """Per asset, the rows that end a complete ``L``-period window with a next-period return
    (every ``stride``-th, counted back from the last)."""
    ends: dict[str, np.ndarray] = {}
    short: list[str] = []
    for asset in chosen:
        valid = valid_rows(stack_features(frames, asset))
        rows = window_end_rows(valid, L)
        rows = rows[np.isfinite(target[asset].to_numpy(dtype=float)[rows])]
        if len(rows) == 0:
            short.append(f"{asset} ({int(valid.sum())} usable periods)")
        ends[asset] = rows[::-1][::stride][::-1]
    if short:
        raise ForecastError(
            f"the window of {L} periods is longer than the data of {', '.join(short)}: each "
            f"asset needs at least {L + 1} consecutive periods with features and a next-period "
            "return; use a shorter --lookback, an earlier --start, or drop those assets"
        )
    return ends


def _split(
    ends: dict[str, np.ndarray], validation_fraction: float, index: pd.DatetimeIndex, L: int
) -> tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The last training row and the window ends before (training) and after it (validation:
    the latest ``validation_fraction`` of the decision times)."""
    decision_rows = np.unique(np.concatenate(list(ends.values())))
    n_val_times = int(np.ceil(len(decision_rows) * validation_fraction))
    if len(decision_rows) - n_val_times < 1 or n_val_times < 1:
        raise ForecastError(
            f"only {len(decision_rows)} decision times with complete {L}-period windows: too "
            "few for a train/validation split; provide more data or a shorter lookback"
        )
    cut = int(decision_rows[len(decision_rows) - n_val_times - 1])  # last training row
    train_ends = {a: r[r <= cut] for a, r in ends.items()}
    val_ends = {a: r[r > cut] for a, r in ends.items()}
    empty = [a for a, r in train_ends.items() if len(r) == 0]
    if empty:
        raise ForecastError(
            f"asset(s) {', '.join(empty)} have no windows before the validation period (which "
            f"starts after {index[cut]}); give them more history or drop them"
        )
    return cut, train_ends, val_ends


def _check_warm_start(
    warm_start: Forecaster, chosen: tuple[str, ...], features: tuple, spec: ForecastSpec
) -> None:
    if (
        warm_start.assets != chosen
        or warm_start.features != features
        or warm_start.spec.model != spec.model
        or warm_start.lookback != spec.features.lookback
    ):
        raise ForecastError(
            "warm_start needs a forecaster with the same assets, features, lookback "
            "and network; train from scratch instead"
        )


def _tensors(w, scale: np.ndarray, device: str):  # type: ignore[no-untyped-def]
    """Windows (x), scaled targets (y) and asset codes (c) of ``w`` as tensors on ``device``."""
    x = torch.from_numpy(w.x).to(device)
    y = torch.from_numpy((w.target / scale[w.asset_codes]).astype(np.float32)).to(device)
    c = torch.from_numpy(w.asset_codes).to(device)
    return x, y, c


def _val_loss(module, loss_fn, val) -> float:  # type: ignore[no-untyped-def]
    """Mean loss over the validation windows, in chunks of 4096."""
    xv, yv, cv = val
    module.eval()
    with torch.no_grad():
        total = 0.0
        for i in range(0, len(xv), 4096):
            out, _ = module(xv[i : i + 4096], cv[i : i + 4096])
            total += float(loss_fn(out, yv[i : i + 4096])) * len(out)
    return total / len(xv)


def _fit(  # type: ignore[no-untyped-def]
    module, train, val, spec: ForecastSpec, device: str, on_epoch: EpochCallback | None
) -> tuple[list[EpochLog], int, float]:
    """Adam with early stopping on the validation loss; ``module`` ends with the best epoch's
    weights, in eval mode. Returns the epoch logs, the best epoch and its validation loss."""
    mcfg, tcfg = spec.model, spec.train
    xt, yt, ct = train
    loss_fn = loss_function(mcfg)
    opt = torch.optim.Adam(
        module.parameters(), lr=tcfg.learning_rate, weight_decay=tcfg.weight_decay
    )
    generator = torch.Generator().manual_seed(tcfg.seed)
    best_loss, best_epoch, best_state = float("inf"), 0, None
    logs: list[EpochLog] = []
    stale = 0
    for epoch in range(1, tcfg.epochs + 1):
        t0 = time.perf_counter()
        module.train()
        total = 0.0
        for idx in _batches(len(xt), tcfg.batch_size, generator):
            idx = idx.to(device)
            out, _ = module(xt[idx], ct[idx])
            loss = loss_fn(out, yt[idx])
            opt.zero_grad()
            loss.backward()
            if tcfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(module.parameters(), tcfg.grad_clip)
            opt.step()
            total += float(loss.detach()) * len(idx)
        vloss = _val_loss(module, loss_fn, val)
        if not np.isfinite(vloss):
            raise ForecastError(
                f"validation loss became {vloss} at epoch {epoch}; lower the learning rate"
            )
        improved = vloss < best_loss
        if improved:
            best_loss, best_epoch, stale = vloss, epoch, 0
            best_state = copy.deepcopy(module.state_dict())
        else:
            stale += 1
        log = EpochLog(epoch, total / len(xt), vloss, improved, time.perf_counter() - t0)
        logs.append(log)
        if on_epoch is not None:
            on_epoch(log)
        if stale >= tcfg.patience:
            break
    assert best_state is not None
    module.load_state_dict(best_state)
    module.eval()
    return logs, best_epoch, best_loss
