"""A self-contained HTML report of eval runs: a summary table, a table per suite, and for every failing
scenario its first failing trial (the expected-vs-actual diff, the tool calls, the answers)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from evals.runner import SUMMARY_HEADER, summary_rows

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.pass{color:#17692b;font-weight:600}.fail{color:#a61b1b;font-weight:600}.pending{color:#8a6d00}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;max-width:100%;white-space:pre-wrap}details{margin:.5em 0}"""


def _table(header: tuple[str, ...] | list[str], rows: list[tuple[str, ...] | list[str]], raw: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _mark(value: float) -> str:
    return f'<span class="{"pass" if value >= 1.0 else "fail"}">{value:.0f}</span>'


def _suite(report: dict[str, Any]) -> str:
    rows = [(escape(s["id"]), escape(s["agent"]), "yes" if s["safety"] else "", _mark(s["pass_hat_k"]),
             _mark(s["pass_at_k"]), f"{s['passes']}/{s['k']}", f"{s['mean_latency_s']:.2f}",
             f"{s['mean_tokens']:.0f}", f"{s['mean_usd']:.5f}") for s in report["scenarios"]]
    rows += [(escape(p["id"]), escape(p["agent"]), "", '<span class="pending">pending</span>', "", "",
              escape(p["reason"] or ""), "", "") for p in report["pending"]]
    html = [f"<h2>suite {escape(report['suite'])}</h2>",
            f"<p>model {escape(report['model']['name'])}, k={report['k']}, {report['runtime_s']} s</p>",
            _table(("scenario", "agent", "safety", "pass^k", "pass@k", "trials passed", "latency s", "tokens",
                    "usd"), rows, raw=True)]
    for s in report["scenarios"]:
        failing = next((t for t in s["trials"] if not t["passed"]), None)
        if failing is None:
            continue
        obs = failing["observed"]
        diff = _table(("check", "expected", "actual"), [(m["check"], json.dumps(m["expected"], default=str),
                                                         json.dumps(m["actual"], default=str)[:800])
                                                        for m in failing["mismatches"]])
        calls = "\n".join(f"{c.get('agent')}: {c['name']}({json.dumps(c['args'], default=str)})"
                          for c in obs["tool_calls"]) or "(no tool calls)"
        results = "\n".join(f"{r['tool']}: {r['status']} {r['codes']}" for r in obs["tool_results"]) or "(none)"
        answers = "\n---\n".join(t["answer"] for t in failing["turns"])
        html.append(f"<details><summary class='fail'>{escape(s['id'])}: {escape(s['title'])} "
                    f"(trial {failing['trial']})</summary>{diff}<h4>tool calls</h4><pre>{escape(calls)}</pre>"
                    f"<h4>tool results</h4><pre>{escape(results)}</pre><h4>decisions</h4>"
                    f"<pre>{escape(json.dumps(obs['decisions'], indent=1))}</pre>"
                    f"<h4>answers</h4><pre>{escape(answers[:4000])}</pre></details>")
    return "\n".join(html)


def render_html(reports: list[dict[str, Any]]) -> str:
    """The whole report as one HTML page (no external resources)."""
    summary = _table(SUMMARY_HEADER, summary_rows(reports))
    body = "\n".join(_suite(r) for r in reports)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>quantpilot evals</title>"
            f"<style>{_STYLE}</style></head><body><h1>quantpilot eval run</h1>{summary}{body}</body></html>")
