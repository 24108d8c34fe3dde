"""Start-up of the resident research process (``python -m api.research_server``): one per home (a lock file), its
log, the research stack and the kernels loaded once, then ``server.ResearchServer`` serves."""

from __future__ import annotations

import fcntl
import logging
import os
import time

from api.research_server.server import ResearchServer
from api.research_server.wire import ServerPaths, settings_fingerprint

log = logging.getLogger("quantpilot.research_server")


def warm_up() -> dict[str, float]:
    """Import the research stack, open the database and load every crossover kernel; seconds per step."""
    took: dict[str, float] = {}
    began = time.perf_counter()
    import services.research.analysis  # noqa: F401 - loaded here, once, instead of in each request
    import services.research.search  # noqa: F401
    from api.cli_auth import user_service
    from memory.db import connect

    took["imports"] = time.perf_counter() - began
    began = time.perf_counter()
    connect()
    user_service()
    took["database"] = time.perf_counter() - began
    began = time.perf_counter()
    from quant.backtest.kernel_warmup import load_crossover_kernels

    load_crossover_kernels(overfitting=True)
    load_crossover_kernels(overfitting=False)
    import quant.backtest.walkforward  # noqa: F401
    import quant.reports.html  # noqa: F401 - the report every run writes
    import quant.reports.writer  # noqa: F401
    import services.research.reports  # noqa: F401
    took["kernels"] = time.perf_counter() - began
    return took


def main() -> int:
    from config import get_settings

    fingerprint = settings_fingerprint()  # before this process sets anything in its environment
    settings = get_settings()
    paths = ServerPaths.for_home(settings.home)
    paths.make_private_dirs()
    logging.basicConfig(filename=paths.log, level=logging.INFO,
                        format="%(asctime)s research-server[%(process)d] %(levelname)s %(message)s")
    lock = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log.info("another research process runs for %s", settings.home)
        return 0
    os.environ.setdefault("NUMBA_CACHE_DIR", str(settings.numba_cache_dir))
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from guardrails.redaction import install_log_redaction

    install_log_redaction()
    try:
        took = warm_up()
    except Exception:  # noqa: BLE001 - logged; commands keep running in their own processes
        log.exception("could not load the research stack")
        return 1
    log.info("ready in %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
    server = ResearchServer(paths, idle_s=settings.research_server_idle_minutes * 60, fingerprint=fingerprint)
    server.serve()
    return 0
