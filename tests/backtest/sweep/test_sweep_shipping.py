"""The price panels travel once per worker, not once per task: counted where they are
serialised (local processes) or sent (Dask), with more tasks than workers."""

from __future__ import annotations

import pytest
from sweep_data import synthetic_panels

from cryptofolio.backtest import BacktestConfig, SweepSpec, run_sweep
from cryptofolio.backtest.sweep import ValidationSpec
from cryptofolio.data import Panels

GRID = {"lookback": [30, 40, 50, 60], "objective": ["min-variance", "equal-weight"]}  # 8 tasks


@pytest.fixture(scope="module")
def panels() -> Panels:
    return synthetic_panels([0.0, 0.0, 0.0], 300, seed=5)


def _spec() -> SweepSpec:
    return SweepSpec(
        GRID,
        backtest=BacktestConfig(start="2021-03-15", rebalance="weekly", on_failure="hold"),
        validation=ValidationSpec(folds=3, cscv_blocks=4),
    )


def test_local_processes_serialise_the_panels_once_for_all_tasks(panels, monkeypatch):
    pytest.importorskip("joblib")
    pickled = []

    def counting_reduce(self, protocol):
        pickled.append(protocol)
        return object.__reduce_ex__(self, protocol)

    # the tasks' arguments are pickled in this process (loky's feeder thread): a Panels among
    # them would be counted once per task
    monkeypatch.setattr(Panels, "__reduce_ex__", counting_reduce, raising=False)
    result = run_sweep(_spec(), panels, workers=2)
    assert len(result.runs) == 8 and all(run.ok for run in result.runs.values())
    assert len(pickled) == 1


class _RecordingClient:
    """A ``distributed.Client`` that records what is scattered and submitted."""

    def __init__(self, client) -> None:
        self._client = client
        self.scattered: list[tuple[object, dict]] = []
        self.submitted: list[tuple] = []

    def scatter(self, data, **kwargs):
        self.scattered.append((data, kwargs))
        return self._client.scatter(data, **kwargs)

    def submit(self, *args, **kwargs):
        self.submitted.append(args)
        return self._client.submit(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_dask_scatters_the_panels_once_and_tasks_carry_a_reference(panels):
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        recording = _RecordingClient(client)
        result = run_sweep(_spec(), panels, dask=recording)
    assert len(result.runs) == 8
    assert len(recording.scattered) == 1
    data, kwargs = recording.scattered[0]
    assert data is panels and kwargs.get("broadcast") is True
    assert len(recording.submitted) == 8
    assert not any(isinstance(arg, Panels) for args in recording.submitted for arg in args)
