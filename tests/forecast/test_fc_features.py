"""Features, windows and the optional-dependency boundary (mostly without PyTorch)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from fc_frames import make_panels

from cryptofolio.errors import ForecastError
from cryptofolio.forecast.config import Feature, FeatureConfig, ModelConfig
from cryptofolio.forecast.features import (
    feature_frames,
    infer_periods_per_year,
    interior_gaps,
    next_period_log_return,
    resolve_features,
    supported_features,
    window_end_rows,
)


def test_feature_values_match_hand_computation():
    p = make_panels(n=5, with_range=True)
    frames = feature_frames(p, (Feature.LOG_RETURN, Feature.HIGH_LOW_RANGE, Feature.VOLUME_CHANGE))
    c, v = p.close["AAA"].to_numpy(), p.volume["AAA"].to_numpy()
    h, lo = p.high["AAA"].to_numpy(), p.low["AAA"].to_numpy()
    assert np.isnan(frames[Feature.LOG_RETURN]["AAA"].iloc[0])
    np.testing.assert_allclose(frames[Feature.LOG_RETURN]["AAA"].iloc[1:], np.log(c[1:] / c[:-1]))
    np.testing.assert_allclose(frames[Feature.HIGH_LOW_RANGE]["AAA"], np.log(h / lo))
    np.testing.assert_allclose(
        frames[Feature.VOLUME_CHANGE]["AAA"].iloc[1:], np.log((1 + v[1:]) / (1 + v[:-1]))
    )
    target = next_period_log_return(p.close)["AAA"].to_numpy()
    np.testing.assert_allclose(target[:-1], np.log(c[1:] / c[:-1]))
    assert np.isnan(target[-1])


def test_features_degrade_gracefully_without_high_low():
    p = make_panels(n=10)  # like the daily CoinGecko data: close and volume only
    used, reasons = supported_features(p)
    assert used == (Feature.LOG_RETURN, Feature.VOLUME_CHANGE)
    assert "high" in reasons[Feature.HIGH_LOW_RANGE] and "AAA" in reasons[Feature.HIGH_LOW_RANGE]
    with pytest.raises(ForecastError, match="high-low-range"):
        resolve_features(p, (Feature.LOG_RETURN, Feature.HIGH_LOW_RANGE))
    assert supported_features(make_panels(n=10, with_range=True))[0] == tuple(Feature)


def test_window_end_rows_and_gaps():
    valid = np.array([False, True, True, True, False, True, True, True, True])
    np.testing.assert_array_equal(window_end_rows(valid, 3), [3, 7, 8])
    assert len(window_end_rows(valid, 10)) == 0
    index = pd.date_range("2021-01-01", periods=9, tz="UTC")
    assert list(interior_gaps(valid, index)) == [index[4]]


def test_periods_per_year():
    daily = pd.date_range("2021-01-01", periods=5, freq="D", tz="UTC")
    hourly = pd.date_range("2021-01-01", periods=5, freq="h", tz="UTC")
    assert infer_periods_per_year(daily) == 365.0
    assert infer_periods_per_year(hourly) == 8760.0


def test_config_validation():
    with pytest.raises(ForecastError, match="lookback"):
        FeatureConfig(lookback=1)
    with pytest.raises(ForecastError, match=r"0\.5"):
        ModelConfig(head="quantile", quantiles=(0.1, 0.9))


def test_package_imports_without_torch_and_says_how_to_install():
    code = (
        "import sys\n"
        "import cryptofolio, cryptofolio.forecast, cryptofolio.cli\n"
        "assert 'torch' not in sys.modules, 'torch imported eagerly'\n"
        "class NoTorch:  # simulate a missing optional extra\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from cryptofolio.errors import ForecastError\n"
        "try:\n"
        "    from cryptofolio.forecast import train_forecaster\n"
        "except ForecastError as exc:\n"
        "    print('ERR', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'pip install "cryptofolio[forecast]"' in out.stdout
