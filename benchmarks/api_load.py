"""API load: N concurrent clients against the read endpoints of a real `quantpilot serve`.

A fresh QUANTPILOT_HOME, the bundled prices loaded, one viewer key, then the server in a
subprocess (`api.commands.serve_cmd.serve`, the code behind `quantpilot serve`) on 127.0.0.1.
Clients (raw asyncio keep-alive connections, one each, so the generator stays cheap) loop for ``--seconds`` over
``GET /api/v1/data/bars/{symbol}`` (250 rows) and ``GET /api/v1/data/symbols`` and report
p50/p95/p99 latency, requests per second and errors, as text and as JSON (last line, or ``--json``).

Closed loop: each client sends its next request when the last one answered, so with C clients
latency ~= C / throughput (Little's law); this saturation figure is what the goal (p95 < 100 ms,
0 errors, 100 clients) is stated for. ``--think-seconds 1`` gives each client a mean 1 s pause
between requests instead: a user-like load. The load generator shares the machine's cores; its CPU
time, the server's (all workers) and the whole machine's are printed.

Run: `.venv/bin/python benchmarks/api_load.py [--seconds 20] [--clients 100] [--workers 1] [--think-seconds 0]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOME = Path(tempfile.mkdtemp(prefix="quantpilot-api-load-"))

SERVE = "import typer; from api.commands.serve_cmd import serve; typer.run(serve)"
ROWS = 250


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare() -> tuple[str, dict[str, tuple[str, str]]]:
    """Start the embedded server, load bundled bars, issue a viewer key; windows of ROWS bars per symbol."""
    from config import Settings
    from guardrails.policy import Actor, Role
    from memory.db import connect
    from memory.users import UserStore
    from services.market_data import MarketDataService

    database = connect(Settings())
    service = MarketDataService(database, actor=Actor.system("benchmark"))
    started = time.perf_counter()
    report = service.load("bundled")
    print(f"loaded {report.rows} bundled bars for {len(report.symbols)} symbols in "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    windows = {}
    for symbol in report.symbols:
        ts = service.show(symbol)["ts"]
        if len(ts) >= ROWS:
            windows[symbol] = (str(ts.iloc[-ROWS].date()), str(ts.iloc[-1].date()))
    key = UserStore(database).add("loadtest", Role.VIEWER).api_key
    database.engine.dispose()
    return key, windows


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "QUANTPILOT_API_RATE_LIMIT": "100000000/minute"}  # other settings: the defaults
    return subprocess.Popen(
        [sys.executable, "-c", SERVE, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )


async def wait_ready(base: str, server: subprocess.Popen, timeout_s: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"server exited with {server.returncode}")
            try:
                if (await client.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("server not ready in time")


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    index = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms) + 0.5) - 1))  # nearest rank
    return sorted_ms[index]


def summarise(samples: list[tuple[str, float, int]], errors: dict[str, int], seconds: float) -> dict:
    out: dict = {"seconds": round(seconds, 2), "requests": len(samples), "rps": round(len(samples) / seconds, 1),
                 "errors": sum(errors.values()), "error_kinds": errors, "endpoints": {}}
    for name in sorted({s[0] for s in samples}) + ["all"]:
        ms = sorted(s[1] for s in samples if name in ("all", s[0]))
        out["endpoints"][name] = {"n": len(ms), "p50_ms": round(_percentile(ms, 50), 2),
                                  "p95_ms": round(_percentile(ms, 95), 2), "p99_ms": round(_percentile(ms, 99), 2)}
    return out


class RawClient:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a few microseconds of CPU per request,
    so the load generator takes little of the cores it shares with the server (httpx took ~2 ms)."""

    def __init__(self, host: str, port: int, key: str):
        self._host, self._port, self._key = host, port, key
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes]:
        """``(status, body)``. Like any HTTP client, a GET whose reused keep-alive connection turns out
        closed by the server (idle timeout) before any answer byte is retried once on a new connection."""
        reused = self._writer is not None
        try:
            return await self._get(target)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
            if not reused or getattr(exc, "partial", b""):
                raise
            return await self._get(target)

    async def _get(self, target: str) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        request = (f"GET {target} HTTP/1.1\r\nHost: {self._host}\r\nX-API-Key: {self._key}\r\n"
                   "Accept: application/json\r\n\r\n").encode()
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await self._reader.readexactly(length)
            if b"connection: close" in head.lower():
                await self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            raise

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


async def run_load(base: str, key: str, windows: dict[str, tuple[str, str]], clients: int, seconds: float,
                   symbols_share: float, think_seconds: float = 0.0) -> dict:
    """Closed loop: each of ``clients`` sends its next request when the last one answered (after an
    exponentially distributed pause of mean ``think_seconds``, 0 = none)."""
    host, port = base.removeprefix("http://").split(":")
    samples: list[tuple[str, float, int]] = []
    errors: dict[str, int] = {}
    symbols = sorted(windows)
    probe = RawClient(host, int(port), key)
    for symbol in symbols[:2]:  # warm-up and shape check
        start, end = windows[symbol]
        status, body = await probe.get(f"/api/v1/data/bars/{symbol}?start={start}&end={end}")
        assert status == 200 and json.loads(body)["count"] == ROWS, body[:200]
    await probe.close()
    deadline = time.perf_counter() + seconds

    async def one_client(seed: int) -> None:
        rng = random.Random(seed)
        client = RawClient(host, int(port), key)
        if think_seconds:
            await asyncio.sleep(rng.uniform(0, think_seconds))  # users do not all arrive at once
        while time.perf_counter() < deadline:
            if rng.random() < symbols_share:
                name, target = "symbols", "/api/v1/data/symbols"
            else:
                symbol = rng.choice(symbols)
                start, end = windows[symbol]
                name, target = "bars_250", f"/api/v1/data/bars/{symbol}?start={start}&end={end}"
            began = time.perf_counter()
            try:
                status, _ = await client.get(target)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            elapsed_ms = (time.perf_counter() - began) * 1000
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
            else:
                samples.append((name, elapsed_ms, status))
            if think_seconds:
                pause = min(rng.expovariate(1 / think_seconds), 10 * think_seconds)
                await asyncio.sleep(min(pause, max(0.0, deadline - time.perf_counter())))
        await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client(i) for i in range(clients)))
    return summarise(samples, errors, time.perf_counter() - started)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its children (uvicorn workers), 0.0 without psutil."""
    try:
        import psutil
    except ImportError:
        return 0.0
    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


def rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and its children (uvicorn workers), 0.0 without psutil."""
    try:
        import psutil

        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    except (ImportError, Exception):  # noqa: BLE001 - a worker that just exited: count what is left
        return 0.0


async def with_memory_samples(load, pid: int, every_s: float) -> dict:
    """Run ``load`` while sampling the server's RSS every ``every_s`` seconds; adds ``memory``: the first
    sample after one interval (warm caches), the last, the peak and the growth in MB per 10 minutes."""
    samples: list[tuple[float, float]] = []
    began = time.perf_counter()

    async def sample() -> None:
        while True:
            await asyncio.sleep(every_s)
            samples.append((time.perf_counter() - began, rss_mb(pid)))

    sampler = asyncio.create_task(sample())
    try:
        result = await load
    finally:
        sampler.cancel()
    samples.append((time.perf_counter() - began, rss_mb(pid)))
    (t0, first), (t1, last) = samples[0], samples[-1]
    growth = (last - first) / (t1 - t0) * 600 if t1 > t0 else 0.0
    result["memory"] = {"rss_mb_first": round(first, 1), "rss_mb_last": round(last, 1),
                        "rss_mb_peak": round(max(m for _, m in samples), 1), "first_at_s": round(t0, 1),
                        "growth_mb_per_10_min": round(growth, 1), "samples": len(samples)}
    return result


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (every process: server, Postgres, generator, others)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def print_text(result: dict) -> None:
    print(f"\n{result['mode']}")
    print(f"{result['clients']} clients, {result['workers']} worker(s), {result['seconds']} s, "
          f"{result['cpus']} CPUs (load average before: {result['load_before']})")
    cpu = result["cpu_seconds"]
    print(f"CPU seconds: server {cpu['server']}, load generator {cpu['load_generator']}, "
          f"whole machine {cpu['machine_busy']} (/proc/stat, approximate in a VM; "
          f"of {result['cpus'] * result['seconds']:.0f} available)")
    mem = result.get("memory")
    if mem:
        print(f"server memory: {mem['rss_mb_first']} MB at {mem['first_at_s']} s -> {mem['rss_mb_last']} MB at the "
              f"end (peak {mem['rss_mb_peak']}), growth {mem['growth_mb_per_10_min']} MB per 10 min")
    print(f"requests {result['requests']}  rps {result['rps']}  errors {result['errors']} {result['error_kinds']}")
    print(f"{'endpoint':<10} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, row in result["endpoints"].items():
        print(f"{name:<10} {row['n']:>7} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8}")


def main() -> None:
    from benchmarks.isolation import use_private_home

    use_private_home("quantpilot-api-load-", HOME)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--symbols-share", type=float, default=0.2, help="fraction of requests to /symbols")
    parser.add_argument("--think-seconds", type=float, default=0.0,
                        help="mean pause between a client's requests (0 = closed loop, saturation)")
    parser.add_argument("--max-growth-mb", type=float, default=None,
                        help="exit 1 when server memory grows faster than this many MB per 10 minutes (soak)")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON result here")
    args = parser.parse_args()

    server = None
    exit_code = 0
    try:
        key, windows = prepare()
        port = _free_port()
        server = start_server(port, args.workers)
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(base, server))
        load_before = os.getloadavg()[0]
        server_cpu, own_cpu, machine = cpu_seconds(server.pid), _own_cpu_seconds(), _machine_busy_seconds()
        load = run_load(base, key, windows, args.clients, args.seconds, args.symbols_share, args.think_seconds)
        result = asyncio.run(with_memory_samples(load, server.pid, min(30.0, max(args.seconds / 10, 1.0))))
        result.update(
            mode=(f"user-like: mean think time {args.think_seconds} s" if args.think_seconds
                  else "closed loop: no think time (saturation)"),
            clients=args.clients, workers=args.workers, cpus=os.cpu_count(), load_before=round(load_before, 2),
            rows_per_bars_response=ROWS, think_seconds=args.think_seconds,
            cpu_seconds={"server": round(cpu_seconds(server.pid) - server_cpu, 1),
                         "load_generator": round(_own_cpu_seconds() - own_cpu, 1),
                         "machine_busy": round(_machine_busy_seconds() - machine, 1)})
        print_text(result)
        print(json.dumps(result))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        growth = result["memory"]["growth_mb_per_10_min"]
        if args.max_growth_mb is not None and (growth > args.max_growth_mb or result["errors"]):
            print(f"api_load: FAILED - memory growth {growth} MB per 10 min (limit {args.max_growth_mb}) "
                  f"or {result['errors']} errors", file=sys.stderr)
            exit_code = 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        from memory.db import forget_connections
        from memory.server import stop_embedded

        forget_connections()
        stop_embedded(HOME / "pgdata")
        shutil.rmtree(HOME, ignore_errors=True)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
