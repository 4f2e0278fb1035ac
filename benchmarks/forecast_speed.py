"""Speed of the LSTM-attention forecaster and of a walk-forward ``lstm-mvo`` backtest.

Reports
1. training time per epoch of the default network (LSTM 128 -> 64, attention, Gaussian head,
   lookback 60) on two years of the bundled daily large caps;
2. wall time of a full walk-forward ``lstm-mvo`` backtest on the bundled daily data
   (large caps, decisions 2019-01-01 to 2023-11-30, monthly rebalancing, retrained at every
   rebalance, i.e. monthly, strictly on data before each decision), next to the same
   optimiser on historical means and equal weight;
3. the same on a CUDA GPU when one is available (otherwise it says so).

Run:  .venv/bin/python benchmarks/forecast_speed.py [--output benchmarks/results/forecast_speed.txt]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

LARGE_CAPS = "BTC,ETH,BNB,XRP,ADA,SOL,LTC,LINK,TRX,BCH,ETC,EOS"


class Tee:
    def __init__(self, path: Path | None) -> None:
        self.lines: list[str] = []
        self.path = path

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.lines) + "\n")


def epoch_timing(panels, assets, device: str, out: Tee) -> None:
    from cryptofolio.forecast import ForecastSpec, TrainConfig, train_forecaster
    from cryptofolio.forecast.strategy import DEFAULT_SPEC

    spec = ForecastSpec(
        features=DEFAULT_SPEC.features,
        model=DEFAULT_SPEC.model,
        train=TrainConfig(epochs=3, patience=10, device=device, max_train_periods=730),
    )
    logs = []
    t0, c0 = time.perf_counter(), time.process_time()
    model = train_forecaster(panels, spec, assets=assets, on_epoch=logs.append)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    per_epoch = [log.seconds for log in logs]
    out(
        f"  [{device}] {model.report.n_train} training + {model.report.n_val} validation "
        f"windows of {model.lookback} x {len(model.features)} features, {len(assets)} assets"
    )
    out(
        f"  [{device}] seconds per epoch: {', '.join(f'{s:.2f}' for s in per_epoch)} "
        f"(median {np.median(per_epoch):.2f}); whole call incl. features {total:.2f} s wall, "
        f"{cpu:.2f} s CPU"
    )


def walk_forward(panels, device: str, start: str, end: str, out: Tee) -> None:
    import dataclasses

    from cryptofolio.backtest import BacktestConfig, OptimizerStrategy, make_strategy, run_backtest
    from cryptofolio.forecast.strategy import DEFAULT_PORTFOLIO, DEFAULT_SPEC

    spec = dataclasses.replace(
        DEFAULT_SPEC, train=dataclasses.replace(DEFAULT_SPEC.train, device=device)
    )
    retrains = []
    lstm = make_strategy("lstm-mvo", spec=spec, retrain_every=1, on_retrain=retrains.append)
    hist = OptimizerStrategy(DEFAULT_PORTFOLIO, name="max-utility-hist-mean")
    config = BacktestConfig(rebalance="monthly", lookback=365, start=start, end=end)
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_backtest(panels, [lstm], config)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    others = run_backtest(panels, [hist, make_strategy("equal-weight")], config)
    secs = [r.seconds for r in retrains]
    out(
        f"  [{device}] lstm-mvo walk-forward {start} -> {end}, monthly: {seconds:.1f} s "
        f"({seconds / 60:.1f} min) for {len(lstm.forecasts)} decisions and {len(retrains)} "
        f"retrainings ({sum(not r.warm_start for r in retrains)} from scratch, "
        f"{sum(r.warm_start for r in retrains)} warm-started); retraining "
        f"{np.mean(secs):.1f} s mean, {np.max(secs):.1f} s max"
    )
    out(
        f"  [{device}] CPU time of this process: {cpu:.1f} s ({cpu / 60:.1f} min); wall time "
        "above that is waiting for the shared cores"
    )
    assert all(r.data_end < r.decision_time for r in retrains)
    out(
        "  every retraining used data strictly before its decision time "
        f"(checked {len(retrains)} of {len(retrains)})"
    )
    import pandas as pd

    table = pd.concat([result.metrics(), others.metrics()])
    wanted = ("total_return", "annual_return", "volatility", "sharpe", "max_drawdown", "turnover")
    cols = [c for c in wanted if c in table.columns]
    out(
        "  portfolio metrics (same data, costs and schedule; max-utility, long-only, w <= 0.3;"
        " max-utility-hist-mean uses historical means instead of the forecasts):"
    )
    for line in table[cols].to_string(float_format=lambda v: f"{v:.3f}").splitlines():
        out(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", default=LARGE_CAPS)
    parser.add_argument("--start", default="2019-01-01")
    parser.add_argument("--end", default="2023-11-30")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--skip-backtest", action="store_true")
    args = parser.parse_args()
    out = Tee(args.output)

    import pandas as pd
    import torch

    from cryptofolio.data import load_dataset, to_panels

    assets = args.assets.split(",")
    out("cryptofolio forecast speed benchmark")
    out(f"  date: {pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC")
    out(
        f"  machine: {platform.machine()}, {os.cpu_count()} CPU cores visible "
        f"(shared with other work), Python {sys.version.split()[0]}, torch {torch.__version__}, "
        "torch threads 1 (TrainConfig.threads default)"
    )
    cuda = torch.cuda.is_available()
    out(
        "  GPU: "
        + (
            torch.cuda.get_device_name(0)
            if cuda
            else "none available in this session (torch.cuda.is_available() is False): "
            "CPU figures only"
        )
    )
    out(
        f"  data: bundled coingecko-daily from 2017-11-01 (after the bogus early BNB rows), {', '.join(assets)}"
    )
    long = load_dataset("coingecko-daily", symbols=assets, start="2017-11-01", end=args.end)
    panels = to_panels(long)
    devices = ["cpu"] + (["cuda"] if cuda else [])

    out()
    out(
        "1. training time per epoch (default network, lookback 60, the 14 months before 2019-01-01)"
    )
    keys = ("close", "volume", "market_cap", "open", "high", "low")
    from cryptofolio.data import Panels

    before = Panels(**{k: getattr(panels, k).loc[:"2018-12-31"] for k in keys})
    trainable = [a for a in assets if before.close[a].notna().sum() > 200]
    for device in devices:
        epoch_timing(before, trainable, device, out)

    if not args.skip_backtest:
        out()
        out("2. walk-forward lstm-mvo backtest (retrained monthly on the latest 730 days")
        out("   before each decision: 10 epochs from scratch, then 2 warm-started epochs)")
        for device in devices:
            walk_forward(panels, device, args.start, args.end, out)
    out.save()


if __name__ == "__main__":
    main()
