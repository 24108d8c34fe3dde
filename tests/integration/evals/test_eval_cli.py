"""``quantpilot eval run`` and ``eval compare`` through the Typer app (the group is registered by the lead)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.commands.eval_cmd import app


def test_eval_run_writes_json_and_html_reports_and_compare_finds_no_regression(_database_session, tmp_path):
    runner = CliRunner()
    out_json, out_html = tmp_path / "a.json", tmp_path / "a.html"
    base = ["run", "--suite", "smoke", "--scenario", "smoke-alert", "--scenario", "smoke-order-waits-for-approval"]
    first = runner.invoke(app, [*base, "--report", str(out_json), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(out_json.read_text())["reports"][0]
    assert report["summary"]["scenarios"] == 2 and report["summary"]["pass_hat_k"] == 1.0
    html = runner.invoke(app, [*base, "--report", str(out_html)])
    assert html.exit_code == 0 and "<table>" in out_html.read_text() and "smoke-alert" in out_html.read_text()

    same = runner.invoke(app, ["compare", str(out_json), str(out_json), "--json"])
    assert same.exit_code == 0 and json.loads(same.output)["regressions"] == []


def test_eval_compare_exits_non_zero_on_a_regression(tmp_path):
    def write(name: str, passed: float) -> str:
        row = {"id": "s1", "pass_hat_k": passed, "pass_at_k": passed, "passes": int(passed * 3), "k": 3}
        summary = {"pass_hat_k": passed, "pass_at_k": passed, "trial_pass_rate": passed}
        (tmp_path / name).write_text(json.dumps({"reports": [{"suite": "smoke", "scenarios": [row],
                                                              "summary": summary}]}))
        return str(tmp_path / name)

    result = CliRunner().invoke(app, ["compare", write("a.json", 1.0), write("b.json", 0.0)])
    assert result.exit_code == 1 and "regression: smoke/s1" in result.output
