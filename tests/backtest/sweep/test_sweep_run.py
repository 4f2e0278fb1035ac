"""Sweeps end to end on small synthetic panels: the planted edge, runners that agree, resume."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from sweep_data import synthetic_panels

from cryptofolio.backtest import BacktestConfig, SweepSpec, run_sweep
from cryptofolio.backtest.sweep import ResultsStore, ValidationSpec
from cryptofolio.backtest.sweep.store import run_to_record
from cryptofolio.data import Panels
from cryptofolio.errors import BacktestError


@pytest.fixture(scope="module")
def planted_panels() -> Panels:
    """Four assets, one (A0) with a real edge: drift 0.6 % a day (a daily Sharpe of 0.3)
    against -0.2 % for the others, 800 days. Only a configuration free to hold A0 alone
    (max-sharpe with max_weight 1) gets the whole edge; on seeds 0-4 that configuration wins
    with a DSR of 0.978 to 1.0 (seed 1 is used)."""
    return synthetic_panels([0.006, -0.002, -0.002, -0.002], 800, seed=1)


@pytest.fixture(scope="module")
def small_panels() -> Panels:
    """Three driftless assets, 300 days."""
    return synthetic_panels([0.0, 0.0, 0.0], 300, seed=5)


SMALL_GRID = {"lookback": [30, 60], "objective": ["min-variance", "equal-weight"]}


def small_spec(**validation) -> SweepSpec:
    return SweepSpec(
        SMALL_GRID,
        backtest=BacktestConfig(start="2021-03-15", rebalance="weekly", on_failure="hold"),
        validation=ValidationSpec(folds=3, cscv_blocks=4, **validation),
    )


def test_planted_edge_is_found_with_a_high_dsr(planted_panels):
    spec = SweepSpec(
        {"objective": ["min-variance", "max-sharpe", "equal-weight"], "max_weight": [0.5, 1.0]},
        backtest=BacktestConfig(start="2021-03-01", lookback=60, on_failure="hold"),
        validation=ValidationSpec(folds=4, cscv_blocks=8),
    )
    result = run_sweep(spec, planted_panels)
    winner = result.winner
    assert winner["objective"] == "max-sharpe" and winner["max_weight"] == 1.0
    assert winner["dsr"] > 0.95
    assert result.pbo < 0.5
    assert result.distinguishable_from_luck
    assert "is distinguishable from luck" in result.verdict
    # the out-of-sample check agrees: picked on the training rows, it keeps winning
    assert result.winner_oos_rank == 1


def test_noise_grid_is_called_luck(small_panels):
    result = run_sweep(small_spec(), small_panels)
    assert not result.distinguishable_from_luck
    assert "NOT distinguishable from luck" in result.verdict
    table = result.configurations
    assert list(table.columns[:2]) == ["lookback", "objective"]
    assert table["sharpe"].is_monotonic_decreasing
    assert sorted(table["oos_rank"]) == sorted(
        table["oos_sharpe"].rank(ascending=False, method="min")
    )
    doc = result.to_json_dict()
    assert {"configurations", "pbo", "winner", "winner_dsr", "winner_oos_rank", "verdict"} <= set(
        doc
    )
    assert {"is_sharpe", "oos_sharpe", "dsr", "psr", "params", "key"} <= set(
        doc["configurations"][0]
    )


def _frames_equal(a, b) -> None:
    pd.testing.assert_frame_equal(a.configurations, b.configurations)
    for key, run in a.runs.items():
        np.testing.assert_array_equal(run.returns.to_numpy(), b.runs[key].returns.to_numpy())


def test_dask_local_cluster_equals_the_serial_run(small_panels):
    distributed = pytest.importorskip("dask.distributed")
    serial = run_sweep(small_spec(), small_panels)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run_sweep(small_spec(), small_panels, dask=client)
        by_address = run_sweep(small_spec(), small_panels, dask=cluster.scheduler_address)
    _frames_equal(serial, on_dask)
    _frames_equal(serial, by_address)


def test_local_processes_equal_the_serial_run(small_panels):
    pytest.importorskip("joblib")
    spec = SweepSpec(
        {"lookback": [30, 60]},
        backtest=BacktestConfig(start="2021-03-15", on_failure="hold"),
        validation=ValidationSpec(folds=3, cscv_blocks=4),
    )
    _frames_equal(run_sweep(spec, small_panels), run_sweep(spec, small_panels, workers=2))


def test_unreachable_dask_scheduler_fails_fast_and_writes_nothing(small_panels, tmp_path):
    pytest.importorskip("dask.distributed")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    with pytest.raises(
        BacktestError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"
    ):
        run_sweep(
            small_spec(),
            small_panels,
            dask=f"tcp://127.0.0.1:{port}",
            output_dir=out,
            dask_timeout=1.0,
        )
    assert not out.exists()


class Interrupt(Exception):
    pass


def test_interrupted_sweep_resumes_from_the_finished_configurations(small_panels, tmp_path):
    out = tmp_path / "store"
    seen: list[str] = []

    def stop_after_two(p) -> None:
        seen.append(p.key)
        if len(seen) == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_sweep(small_spec(), small_panels, output_dir=out, progress=stop_after_two)
    assert len(list((out / "runs").glob("*.json"))) == 2
    # a half-written temporary file of an interrupted write is ignored
    (out / "runs" / ".deadbeef.json.tmp").write_text("{")
    rerun: list[str] = []
    resumed = run_sweep(
        small_spec(), small_panels, output_dir=out, progress=lambda p: rerun.append(p.key)
    )
    assert len(rerun) == 2 and not set(rerun) & set(seen)  # only the two missing ones ran
    _frames_equal(resumed, run_sweep(small_spec(), small_panels))


def test_store_refuses_another_sweeps_folder(small_panels, planted_panels, tmp_path):
    out = tmp_path / "store"
    run_sweep(small_spec(), small_panels, output_dir=out)
    with pytest.raises(BacktestError, match="holds another sweep \\(different data\\)"):
        run_sweep(small_spec(), planted_panels, output_dir=out)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(BacktestError, match=r"not empty and holds no sweep\.json"):
        run_sweep(small_spec(), small_panels, output_dir=tmp_path / "other")


def test_store_round_trips_records_exactly(small_panels, tmp_path):
    result = run_sweep(small_spec(), small_panels, output_dir=tmp_path / "s")
    store = ResultsStore(tmp_path / "s", {})
    for run in store.runs():
        original = result.runs[run.key]
        assert run_to_record(run) == run_to_record(original)


def test_a_locked_sweep_folder_is_a_lock_error_naming_it(tmp_path):
    import filelock

    from cryptofolio.errors import LockError
    from cryptofolio.locks import LockPolicy

    root = tmp_path / "s"
    root.mkdir()
    other_writer = filelock.FileLock(str(root / ".lock"))  # another open file: flock conflicts
    with other_writer:
        store = ResultsStore(root, {"a": 1}, lock=LockPolicy(wait=False))
        with pytest.raises(LockError, match=f"sweep results in {root}"):
            store.open()
    assert not (root / "sweep.json").exists()
    assert ResultsStore(root, {"a": 1}).open().root == root  # released: it opens


def test_failed_configurations_are_reported_not_hidden(small_panels):
    spec = SweepSpec(
        {"lookback": [30, 5000], "objective": ["min-variance", "equal-weight"]},
        backtest=BacktestConfig(start="2021-03-15"),
        validation=ValidationSpec(folds=3, cscv_blocks=4),
    )
    result = run_sweep(spec, small_panels)
    assert len(result.configurations) == 2 and len(result.failed) == 2
    assert result.failed["error"].str.contains("lookback of 5000 rows").all()
    assert "2 configuration(s) failed" in result.verdict
    assert result.to_json_dict()["n_failed"] == 2


def test_estimate_from_the_first_configuration(small_panels):
    estimates = []
    run_sweep(small_spec(), small_panels, on_estimate=estimates.append)
    (estimate,) = estimates
    assert estimate.remaining == 3 and estimate.workers == 1
    assert estimate.seconds == pytest.approx(3 * estimate.first_seconds)

    def refuse(estimate) -> None:
        raise BacktestError("too long")

    with pytest.raises(BacktestError, match="too long"):
        run_sweep(small_spec(), small_panels, on_estimate=refuse)


def test_cpcv_validation(small_panels):
    result = run_sweep(small_spec(method="cpcv", test_groups=2, embargo=2), small_panels)
    j = result.judgement
    assert len(j.winner_oos_ranks) == 3  # C(3, 2) splits
    assert j.n_paths == 2 and j.embargo == 2


def test_one_configuration_has_no_pbo(small_panels):
    spec = SweepSpec(
        {"lookback": [30]},
        backtest=BacktestConfig(start="2021-03-15"),
        validation=ValidationSpec(folds=3, cscv_blocks=4),
    )
    result = run_sweep(spec, small_panels)
    assert np.isnan(result.pbo) and not result.distinguishable_from_luck
    assert "no PBO to report" in result.verdict
    assert result.to_json_dict()["pbo"] is None
