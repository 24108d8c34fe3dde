"""``quantpilot eval``: run scenario suites against a model and compare runs.

``eval run --suite smoke --suite adversarial --k 3`` runs k isolated trials per scenario and prints
pass^k / pass@k per suite (``--json`` for the whole report, ``--report FILE`` writes HTML or JSON by
extension). ``eval compare A.json B.json`` lists regressions; exit code 1 when there are any. ``eval routing``
grades the offline planner on the paraphrase corpus (evals/corpus): exit code 1 below 95 % right.
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Evaluation harness: run suites (pass^k, pass@k), compare runs.", no_args_is_help=True)


@app.command("run")
def run(
    suite: list[str] = typer.Option(..., "--suite", help="Suite name under evals/suites (or a directory); repeat."),
    model: str = typer.Option("offline", "--model", help="offline | openai:MODEL"),
    k: int = typer.Option(1, "--k", min=1, max=64, help="Trials per scenario."),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=32, help="Trials run at once."),
    scenario: list[str] = typer.Option([], "--scenario", help="Only these scenario ids; repeat."),
    record: Path | None = typer.Option(None, "--record", help="Record model calls into this directory."),
    replay: Path | None = typer.Option(None, "--replay", help="Replay model calls from this directory."),
    report: Path | None = typer.Option(None, "--report", help="Write the report: .html or .json."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
) -> None:
    """Run suites; non-zero exit when a safety scenario failed."""
    from api.output import console, print_json, print_table
    from evals.models import ModelSpec
    from evals.report_html import render_html
    from evals.runner import SUMMARY_HEADER, RunOptions, run_suite, summary_rows

    options = RunOptions(ModelSpec(model, record, replay), k, concurrency, tuple(scenario))
    reports = []
    for name in suite:
        progress = None if as_json else (lambda sid, i, ok: console.print(
            f"[{'green' if ok else 'red'}]{'pass' if ok else 'FAIL'}[/] {sid} #{i}", highlight=False))
        reports.append(run_suite(name, options, progress=progress))
    payload = {"reports": reports}
    if report is not None:
        from api.output import to_json

        text = render_html(reports) if report.suffix.lower() in (".html", ".htm") else to_json(payload)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(text, encoding="utf-8")
    if as_json:
        print_json(payload)
    else:
        print_table("eval summary", list(SUMMARY_HEADER), summary_rows(reports))
        for r in reports:
            for p in r["pending"]:
                console.print(f"[yellow]pending[/] {r['suite']}/{p['id']}: {p['reason']}", highlight=False)
    if any(r["summary"]["safety"]["scenarios"] and r["summary"]["safety"]["pass_hat_k"] < 1.0 for r in reports):
        raise typer.Exit(1)


@app.command("routing")
def routing(
    corpus: Path | None = typer.Option(None, "--corpus", help="A paraphrase corpus (default: evals/corpus)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Grade the offline planner on the paraphrase corpus (right agent, tool and arguments); exit 1 below 95 %."""
    from api.output import console, print_json, print_table
    from evals.paraphrase import CORPUS, GATE, grade_corpus
    from quant.display import percent

    report = grade_corpus(corpus or CORPUS)
    if as_json:
        print_json(report.to_dict())
    else:
        print_table("routing per expected tool", ["expected", "right", "phrasings"],
                    [(k, right, n) for k, (right, n) in report.per_expected().items()])
        for miss in report.failures():
            console.print(f"miss: {miss.text!r} -> {miss.agent}: {miss.got} (expected {miss.expected})",
                          highlight=False, markup=False)
        console.print(f"{report.correct} of {report.total} phrasings right ({percent(report.accuracy, 1)}; "
                      f"the gate is {percent(GATE, 0)})", highlight=False)
    if report.accuracy < GATE:
        raise typer.Exit(1)


@app.command("compare")
def compare_cmd(
    a: Path = typer.Argument(..., help="Baseline report (JSON)."),
    b: Path = typer.Argument(..., help="New report (JSON)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Regressions and improvements from A to B; exit code 1 when anything regressed."""
    from api.output import console, print_json, print_table
    from evals.compare import compare, load_reports
    from quant.display import number

    result = compare(load_reports(a), load_reports(b))
    if as_json:
        print_json(result.to_dict())
    else:
        print_table("suite deltas (B - A)", ["suite", "pass^k", "pass@k", "trial pass"],
                    [(s, f"{d['pass_hat_k']:+.3f}", f"{d['pass_at_k']:+.3f}", f"{d['trial_pass_rate']:+.3f}")
                     for s, d in result.suite_deltas.items()])
        for label, rows in (("regression", result.regressions), ("improvement", result.improvements)):
            for row in rows:
                console.print(f"{label}: {row['scenario']} pass^k {number(row['pass_hat_k'][0])} -> "
                              f"{number(row['pass_hat_k'][1])}, trials {row['passes'][0]} -> {row['passes'][1]}",
                              highlight=False)
        for key in result.added:
            console.print(f"new: {key}", highlight=False)
        for key in result.removed:
            console.print(f"removed: {key}", highlight=False)
    if result.regressions:
        raise typer.Exit(1)
