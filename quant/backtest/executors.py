"""Where grid and walk-forward work runs: ``local`` (this process, serial), ``process`` (a local
``concurrent.futures`` forkserver pool) or ``ray`` (a Ray cluster; imported lazily).

An executor maps a picklable function over a list of tasks and returns results in order. Data
every task needs (price panels, the signal function) goes in ``shared``: it is sent to each
worker once (pool initializer / ``ray.put``), not with every task, and ``fn(shared, task)`` is called.

Ray: with no ``ray_address`` a local cluster is started on this machine (``os.cpu_count()``
CPUs, loopback only, no dashboard, worker logs not forwarded); with one, the driver connects to
that cluster. A cluster (or connection) opened by ``executor_session`` is shut down when the
outermost session closes; one opened by a bare ``map_tasks`` call stays up for later calls and is
shut down at process exit.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Literal

from errors import ConfigError

ExecutorName = Literal["local", "process", "ray"]
_NO_SHARED: Any = object()
_WORKER_SHARED: Any = _NO_SHARED


def _set_worker_shared(shared: Any) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared


def _call_with_worker_shared(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_WORKER_SHARED, task)


def _run_local(fn: Callable[..., Any], tasks: Sequence[Any], shared: Any, max_workers: int | None,
               ray_address: str | None) -> list[Any]:
    if shared is _NO_SHARED:
        return [fn(task) for task in tasks]
    return [fn(shared, task) for task in tasks]


def _run_process(fn: Callable[..., Any], tasks: Sequence[Any], shared: Any, max_workers: int | None,
                 ray_address: str | None) -> list[Any]:
    workers = max(max_workers or min(len(tasks), os.cpu_count() or 1), 1)
    # forkserver: forking a process that runs numba/OpenMP threads can deadlock the child
    context = multiprocessing.get_context("forkserver")
    if shared is _NO_SHARED:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(fn, tasks))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_set_worker_shared,
                             initargs=(shared,)) as pool:
        return list(pool.map(_call_with_worker_shared, [fn] * len(tasks), tasks))


def _import_ray() -> Any:
    try:
        import ray  # noqa: PLC0415 - heavy, imported only when asked for
    except ImportError:
        raise ConfigError("executor 'ray' needs Ray: install ray (pip install 'ray[default]') or use "
                          "executor='process'", details={"field": "executor", "value": "ray"}) from None
    return ray


_RAY_OWNED = False  # True while this process holds a cluster or connection it opened itself
_SESSION_DEPTH = 0
_SESSION_LOCK = threading.Lock()


def ray_started_here() -> bool:
    """Whether this process opened the Ray cluster (or connection) it is attached to."""
    return _RAY_OWNED


def ensure_ray(ray_address: str | None = None) -> Any:
    """The ``ray`` module, attached to a cluster: the one already initialised in this process, the
    one at ``ray_address``, or a new local one (registered for shutdown at process exit)."""
    global _RAY_OWNED
    ray = _import_ray()
    if ray.is_initialized():
        return ray
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="ray")  # a GPU env-var tip, no GPUs here
        if ray_address:
            ray.init(address=ray_address, log_to_driver=False)
        else:
            # "local": a new cluster of our own, never one found via RAY_ADDRESS or `ray start` on this machine;
            # loopback only: it needs no other interface (and tests block every other one)
            ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                     _node_ip_address="127.0.0.1")
    if not _RAY_OWNED:
        atexit.register(shutdown_ray)
    _RAY_OWNED = True
    return ray


def shutdown_ray() -> None:
    """Shut down the Ray cluster (or disconnect from the one) this process opened; a no-op otherwise."""
    global _RAY_OWNED
    if not _RAY_OWNED:
        return
    _RAY_OWNED = False
    ray = _import_ray()
    if ray.is_initialized():
        ray.shutdown()


@contextmanager
def executor_session(executor: str, ray_address: str | None = None) -> Iterator[None]:
    """Keep one Ray cluster up for every ``map_tasks`` call inside the block (e.g. all folds of a
    walk-forward) and shut it down when the outermost block that started it ends. Other
    executors need no session."""
    global _SESSION_DEPTH
    if executor != "ray":
        yield
        return
    with _SESSION_LOCK:  # research jobs may run on several threads of one process
        owned_before = _RAY_OWNED and _SESSION_DEPTH == 0
        ensure_ray(ray_address)
        _SESSION_DEPTH += 1
    try:
        yield
    finally:
        with _SESSION_LOCK:
            _SESSION_DEPTH -= 1
            if _SESSION_DEPTH == 0 and not owned_before:
                shutdown_ray()


def _run_ray(fn: Callable[..., Any], tasks: Sequence[Any], shared: Any, max_workers: int | None,
             ray_address: str | None) -> list[Any]:
    ray = ensure_ray(ray_address)
    remote = ray.remote(_apply)  # a trampoline: ``fn`` may be any picklable callable, builtins included
    if shared is _NO_SHARED:
        return ray.get([remote.remote(fn, task) for task in tasks])
    shared_ref = ray.put(shared)  # stored once in the object store; a top-level ref arrives as its value
    return ray.get([remote.remote(fn, shared_ref, task) for task in tasks])


def _apply(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


_EXECUTORS: dict[str, Callable[[Callable[..., Any], Sequence[Any], Any, int | None, str | None], list[Any]]] = {
    "local": _run_local,
    "process": _run_process,
    "ray": _run_ray,
}


def check_executor(executor: str) -> None:
    """ConfigError naming the choices unless ``executor`` is one of them."""
    if executor not in _EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose one of {sorted(_EXECUTORS)}",
                          details={"field": "executor", "value": executor})


def map_tasks(fn: Callable[..., Any], tasks: Sequence[Any], executor: str = "local", *,
              max_workers: int | None = None, shared: Any = _NO_SHARED, ray_address: str | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]`` on the named executor (results in task order); with ``shared``,
    ``[fn(shared, t) for t in tasks]`` with ``shared`` sent once per worker."""
    check_executor(executor)
    if not tasks:
        return []
    return _EXECUTORS[executor](fn, tasks, shared, max_workers, ray_address)


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
