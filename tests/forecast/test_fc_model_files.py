"""Saved forecasters: damaged files get a ForecastError naming the file and the fix; saves are
atomic (kill -9 and a full disk leave the old model) and locked."""

from __future__ import annotations

import dataclasses
import errno
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from fc_frames import head, make_panels

pytest.importorskip("torch")

from cryptofolio import atomic_files
from cryptofolio.errors import ForecastError, LockError, OutputPathError
from cryptofolio.forecast import (
    FeatureConfig,
    Forecaster,
    ForecastSpec,
    ModelConfig,
    TrainConfig,
    train_forecaster,
)
from cryptofolio.forecast.model_files import LOCK_FILE, META_FILE, WEIGHTS_FILE
from cryptofolio.locks import LockPolicy, LockWaitWarning, exclusive

TINY = ForecastSpec(
    features=FeatureConfig(lookback=5),
    model=ModelConfig(hidden_sizes=(4,), dropout=0.0, attention_size=4),
    train=TrainConfig(epochs=1, patience=1, batch_size=64, seed=1),
)
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def panels():
    return make_panels(n=200)


@pytest.fixture(scope="module")
def trained(panels):
    return train_forecaster(head(panels, 150), TINY)


@pytest.fixture
def saved(trained, tmp_path):
    return trained.save(tmp_path / "m")


def predictions(model, panels):
    return model.predict(panels).table.to_numpy()


def test_truncated_forecaster_json_is_named_with_the_fix(saved):
    meta = saved / META_FILE
    meta.write_text(meta.read_text()[:40])
    with pytest.raises(ForecastError) as info:
        Forecaster.load(saved)
    text = str(info.value)
    assert str(meta) in text and "damaged" in text and "JSONDecodeError" in text
    assert f"cryptofolio forecast train --model-dir {saved}" in text


@pytest.mark.parametrize("content", [b"", b"\x80\x02garbage", None], ids=["empty", "junk", "half"])
def test_truncated_model_pt_is_named_with_the_fix(saved, content):
    weights = saved / WEIGHTS_FILE
    raw = weights.read_bytes()
    weights.write_bytes(raw[: len(raw) // 2] if content is None else content)
    meta = saved / META_FILE  # an old-format description without the checksum: torch reads it
    meta.write_text(meta.read_text().replace('"weights_sha256"', '"unused_sha"'))
    with pytest.raises(ForecastError, match=r"model\.pt is damaged and cannot be read") as info:
        Forecaster.load(saved)
    assert "cryptofolio forecast train --model-dir" in str(info.value)


def test_weights_of_another_model_are_refused(saved, panels, tmp_path):
    spec = dataclasses.replace(TINY, train=dataclasses.replace(TINY.train, seed=2))
    other = train_forecaster(head(panels, 150), spec).save(tmp_path / "o")
    (saved / WEIGHTS_FILE).write_bytes((other / WEIGHTS_FILE).read_bytes())
    with pytest.raises(ForecastError, match=r"does not belong with .*forecaster\.json"):
        Forecaster.load(saved)


def test_description_that_does_not_fit_the_weights_is_refused(saved):
    meta = saved / META_FILE
    meta.write_text(meta.read_text().replace('"features": [', '"features": [\n    "junk",', 1))
    with pytest.raises(ForecastError, match=r"forecaster\.json does not describe the weights"):
        Forecaster.load(saved)


def test_full_disk_keeps_the_old_model(trained, panels, saved, monkeypatch):
    before = {p.name: p.read_bytes() for p in saved.iterdir() if p.is_file()}

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_files.os, "fsync", full)
    with pytest.raises(OutputPathError, match=r"cannot write .*model\.pt: no space left"):
        trained.save(saved)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in saved.iterdir() if p.is_file()}
    assert after == before  # no temporary file left, nothing changed
    np.testing.assert_array_equal(
        predictions(Forecaster.load(saved), panels), predictions(trained, panels)
    )


def test_a_second_saver_waits_or_fails_clearly(trained, saved):
    with exclusive(saved / LOCK_FILE, what="held by the test"):
        with pytest.raises(LockError, match=r"model folder .* is being written by another process"):
            trained.save(saved, lock=LockPolicy(wait=False))
        with (
            pytest.warns(LockWaitWarning, match="waiting for it"),
            pytest.raises(LockError, match=r"still locked by another process after 0\.2 s"),
        ):
            trained.save(saved, lock=LockPolicy(timeout_s=0.2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trained.save(saved, lock=LockPolicy(wait=False))  # free again: no wait, no warning


SAVER = """
import sys
import torch
from cryptofolio.forecast import Forecaster
model = Forecaster.load(sys.argv[1])
with torch.no_grad():
    next(model.module.parameters()).add_(1.0)  # a different model
model.save(sys.argv[1])
"""


@pytest.mark.parametrize("pause_at", [WEIGHTS_FILE, META_FILE])
def test_save_killed_with_sigkill_never_loads_a_wrong_model(saved, trained, panels, pause_at):
    marker = saved.parent / "paused"
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        atomic_files.ENV_PAUSE_BEFORE_REPLACE: str(marker),
        atomic_files.ENV_PAUSE_ONLY_FOR: pause_at,
    }
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(saved)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"saver did not reach the pause (exit code {proc.poll()})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    if pause_at == WEIGHTS_FILE:  # killed before anything was replaced: the old model
        np.testing.assert_array_equal(
            predictions(Forecaster.load(saved), panels), predictions(trained, panels)
        )
    else:  # killed between the two files: refused, never the new weights with the old description
        with pytest.raises(ForecastError, match="a save was interrupted between the two files"):
            Forecaster.load(saved)
    # the next save cleans up the dead saver's temporary file and succeeds
    trained.save(saved)
    assert sorted(p.name for p in saved.iterdir()) == sorted([LOCK_FILE, META_FILE, WEIGHTS_FILE])
    Forecaster.load(saved)
