"""Where the configurations of a sweep run: in this process, in local processes (joblib's
loky backend), or on a Dask distributed cluster.

Every runner takes the same task (:func:`~cryptofolio.backtest.sweep.evaluate.run_configuration`)
and yields the :class:`~cryptofolio.backtest.sweep.evaluate.ConfigurationRun` of each
configuration **as it finishes** (any order), so the caller can store it and report progress
at once. The price panels are shipped once per worker, not once per task:

* :class:`ProcessRunner` pickles them once to a file in a fresh temporary folder; each task
  carries only the path, and a worker unpickles the file on its first task and keeps it for
  the next ones (a per-process cache keyed by that unique path);
* :class:`DaskRunner` scatters them to every worker once (``broadcast=True``) and passes the
  future to the tasks; results come back through ``as_completed``.

Runners are context managers; :class:`DaskRunner` connects on entry and raises a
:class:`~cryptofolio.errors.BacktestError` within ``timeout`` seconds when the scheduler cannot
be reached, before anything is written. Dask is imported only by :class:`DaskRunner`.
"""

from __future__ import annotations

import functools
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptofolio.backtest import BacktestConfig
from cryptofolio.backtest.sweep.evaluate import ConfigurationRun, run_configuration
from cryptofolio.data import Panels
from cryptofolio.errors import BacktestError
from cryptofolio.optimize import PortfolioConfig

Item = tuple[str, Mapping[str, Any]]  # (key, resolved values)

DASK_ENV = "CRYPTOFOLIO_DASK_SCHEDULER"


class SerialRunner:
    """Every configuration in this process, one after the other."""

    workers = 1
    name = "serial"

    def __enter__(self) -> SerialRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(
        self,
        panels: Panels,
        items: Sequence[Item],
        backtest: BacktestConfig,
        portfolio: PortfolioConfig,
    ) -> Iterator[ConfigurationRun]:
        """Yield the run of each item, in order."""
        for key, values in items:
            yield run_configuration(panels, key, values, backtest, portfolio)


class ProcessRunner:
    """``workers`` local processes (joblib, loky backend)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise BacktestError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self._folder: Path | None = None

    def __enter__(self) -> ProcessRunner:
        self._folder = Path(tempfile.mkdtemp(prefix="cryptofolio-sweep-"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def run(
        self,
        panels: Panels,
        items: Sequence[Item],
        backtest: BacktestConfig,
        portfolio: PortfolioConfig,
    ) -> Iterator[ConfigurationRun]:
        """Yield the run of each item as it finishes."""
        try:
            from joblib import Parallel, delayed
        except ImportError as exc:
            raise BacktestError(
                "workers > 1 needs joblib: pip install 'cryptofolio[sweep]'"
            ) from exc

        if self._folder is None:
            raise BacktestError("ProcessRunner.run outside its `with` block")
        path = self._folder / f"panels-{len(list(self._folder.iterdir()))}.pickle"
        with path.open("wb") as handle:
            pickle.dump(panels, handle, protocol=pickle.HIGHEST_PROTOCOL)
        parallel = Parallel(
            n_jobs=self.workers, backend="loky", return_as="generator_unordered", batch_size=1
        )
        yield from parallel(
            delayed(_run_from_file)(str(path), key, values, backtest, portfolio)
            for key, values in items
        )


@functools.lru_cache(maxsize=2)
def _panels_from_file(path: str) -> Panels:
    """The panels pickled at ``path`` (read once per worker process: the paths are unique)."""
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _run_from_file(
    path: str,
    key: str,
    values: Mapping[str, Any],
    backtest: BacktestConfig,
    portfolio: PortfolioConfig,
) -> ConfigurationRun:
    return run_configuration(_panels_from_file(path), key, values, backtest, portfolio)


class DaskRunner:
    """The tasks on a Dask distributed cluster.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:8786``); or pass ``client``.
    client
        An existing ``distributed.Client`` (not closed on exit).
    timeout
        Seconds to wait for the scheduler before raising.
    """

    name = "dask"

    def __init__(
        self, address: str | None = None, *, client: Any = None, timeout: float = 10.0
    ) -> None:
        if (address is None) == (client is None):
            raise BacktestError("DaskRunner needs a scheduler address or a client (one of them)")
        self.address = address
        self.timeout = timeout
        self._client = client
        self._own = client is None

    @property
    def workers(self) -> int:
        """Workers the scheduler knows now (at least 1)."""
        if self._client is None:
            return 1
        return max(1, len(self._client.scheduler_info().get("workers", {})))

    def __enter__(self) -> DaskRunner:
        if self._client is not None:
            return self
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise BacktestError(
                "--dask needs Dask distributed: pip install 'cryptofolio[sweep]'"
            ) from exc
        try:
            self._client = Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise BacktestError(
                f"cannot reach the Dask scheduler at {self.address} within {self.timeout:g} s "
                f"({type(exc).__name__}: {exc}); check the address (tcp://host:8786) and that "
                "`dask scheduler` runs there, or drop --dask (and unset "
                f"{DASK_ENV}) to use local processes"
            ) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own and self._client is not None:
            self._client.close()
            self._client = None

    def run(
        self,
        panels: Panels,
        items: Sequence[Item],
        backtest: BacktestConfig,
        portfolio: PortfolioConfig,
    ) -> Iterator[ConfigurationRun]:
        """Yield the run of each item as it finishes."""
        from dask.distributed import as_completed

        client = self._client
        if client is None:
            raise BacktestError("DaskRunner.run outside its `with` block")
        shared = client.scatter(panels, broadcast=True)
        futures = [
            client.submit(run_configuration, shared, key, values, backtest, portfolio, pure=False)
            for key, values in items
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)


def make_runner(workers: int = 1, dask: str | Any = None, timeout: float = 10.0) -> Any:
    """The runner for ``workers`` local processes, or for the Dask scheduler ``dask`` (an
    address or a ``distributed.Client``; it wins over ``workers``)."""
    if dask is not None:
        if isinstance(dask, str):
            return DaskRunner(dask, timeout=timeout)
        return DaskRunner(client=dask, timeout=timeout)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise BacktestError(f"workers must be a whole number >= 1, got {workers!r}")
    return SerialRunner() if workers == 1 else ProcessRunner(workers)
