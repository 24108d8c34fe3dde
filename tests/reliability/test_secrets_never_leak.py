"""``quantpilot demo`` in a real process with fake API, broker and model keys set: no secret value appears in
its output, its files under QUANTPILOT_HOME, or any database table (audit log, events, checkpoints…)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.child_process import REPO, child_env
from tests.reliability.table_digest import rows_containing

SECRETS = {
    "QUANTPILOT_OPENAI_API_KEY": "sk-test-reliab1lity0penaiKEY9f3k2j",
    "QUANTPILOT_ALPACA_API_KEY": "PKTESTRELIAB1LITYALPACA7Q2",
    "QUANTPILOT_ALPACA_SECRET_KEY": "alpacaSecretReliab1lity8x7c6v5b4n",
    "QUANTPILOT_SLACK_BOT_TOKEN": "xoxb-000000000-reliab1lity-slackTOKEN",
    "QUANTPILOT_SLACK_SIGNING_SECRET": "slackSigningReliab1litySecret42",
}


def _needles(value: str) -> list[str]:
    """The secret as text, and as the hex a bytea column (checkpoint blobs) renders it in."""
    return [value, value.encode().hex()]


@pytest.mark.slow  # ~35 s: the whole demo in a subprocess (in make test and make soak)
def test_demo_with_secret_env_values_leaks_none_of_them(database, test_home):
    home = Path(test_home)  # the session's home: the child joins the session's database and writes here
    env = child_env(**SECRETS)
    env["PYTHONPATH"] = f"{Path(__file__).parent / 'netguard'}:{env['PYTHONPATH']}"

    proc = subprocess.run([sys.executable, "-m", "api.cli", "demo", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)

    assert proc.returncode == 0, proc.stderr[-3000:]
    files = [p for p in home.rglob("*") if p.is_file() and "pgdata" not in p.parts]
    assert files, "the demo wrote its artifacts under QUANTPILOT_HOME"
    assert any(".html" in p.name for p in files), "the backtest report is among the checked artifacts"
    for name, value in SECRETS.items():
        for needle in _needles(value):
            assert needle not in proc.stdout and needle not in proc.stderr, f"{name} printed"
            leaked = [str(p) for p in files if needle.encode() in p.read_bytes()]
            assert not leaked, f"{name} written to {leaked}"
            assert rows_containing(database, needle) == {}, f"{name} stored in the database"
    assert rows_containing(database, "order.submitted") or rows_containing(database, "paper"), \
        "the search itself finds what the demo did write"
