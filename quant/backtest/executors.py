"""Where grid and walk-forward work runs: ``local`` (this process, serial), ``process`` (a local
``concurrent.futures`` process pool) or ``ray`` (a Ray cluster; imported lazily, optional).

An executor maps a picklable function over a list of tasks and returns results in order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Literal

from errors import ConfigError

ExecutorName = Literal["local", "process", "ray"]


def _run_local(fn: Callable[[Any], Any], tasks: Sequence[Any], max_workers: int | None) -> list[Any]:
    return [fn(task) for task in tasks]


def _run_process(fn: Callable[[Any], Any], tasks: Sequence[Any], max_workers: int | None) -> list[Any]:
    workers = max_workers or min(len(tasks), os.cpu_count() or 1)
    # forkserver: forking a process that runs numba/OpenMP threads can deadlock the child
    with ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=multiprocessing.get_context("forkserver")) as pool:
        return list(pool.map(fn, tasks))


def _run_ray(fn: Callable[[Any], Any], tasks: Sequence[Any], max_workers: int | None) -> list[Any]:
    try:
        import ray  # noqa: PLC0415 - optional dependency, imported only when asked for
    except ImportError:
        raise ConfigError("executor 'ray' needs Ray: install ray (pip install 'ray[default]') or use "
                          "executor='process'", details={"field": "executor", "value": "ray"}) from None
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, include_dashboard=False)
    remote = ray.remote(fn)
    return ray.get([remote.remote(task) for task in tasks])


_EXECUTORS: dict[str, Callable[[Callable[[Any], Any], Sequence[Any], int | None], list[Any]]] = {
    "local": _run_local,
    "process": _run_process,
    "ray": _run_ray,
}


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], executor: str = "local", *,
              max_workers: int | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]`` on the named executor (results in task order)."""
    runner = _EXECUTORS.get(executor)
    if runner is None:
        raise ConfigError(f"unknown executor {executor!r}; choose one of {sorted(_EXECUTORS)}",
                          details={"field": "executor", "value": executor})
    if not tasks:
        return []
    return runner(fn, tasks, max_workers)


_THREADS: ThreadPoolExecutor | None = None


def split_across_threads(run_range: Callable[[int, int], None], n_tasks: int, *, min_tasks: int = 2) -> None:
    """Call ``run_range(lo, hi)`` over ``[0, n_tasks)`` split into one contiguous range per CPU, on a
    shared thread pool. For numba kernels compiled with ``nogil=True``: OS threads only join at the
    end, unlike OpenMP barriers that spin and stall when the machine is oversubscribed."""
    global _THREADS
    n_threads = min(os.cpu_count() or 1, max(n_tasks // max(min_tasks, 1), 1))
    if n_threads <= 1:
        run_range(0, n_tasks)
        return
    if _THREADS is None:
        _THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="quant-backtest")
    bounds = [n_tasks * k // n_threads for k in range(n_threads + 1)]
    futures = [_THREADS.submit(run_range, lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]
    for future in futures:
        future.result()
