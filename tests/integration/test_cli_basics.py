"""Commands every user meets first: help, config, database status."""

from __future__ import annotations

import json
import subprocess
import sys

from config import get_settings
from tests.integration.cli_runner import run_cli


def test_help_lists_the_command_groups():
    result = subprocess.run([sys.executable, "-m", "api.cli", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    for group in ("data", "db", "config", "demo"):
        assert group in result.stdout


def test_config_show_redacts_secrets(monkeypatch):
    monkeypatch.setenv("QUANTPILOT_OPENAI_API_KEY", "sk-test-very-secret-value")
    get_settings.cache_clear()
    try:
        result = run_cli("config", "show", "--json")
    finally:
        get_settings.cache_clear()
    shown = json.loads(result.stdout)
    assert result.exit_code == 0
    assert "sk-test-very-secret-value" not in result.stdout
    assert shown["openai_api_key"] == "**********"
    assert (shown["trading_mode"], shown["live_trading"], shown["model_provider"]) == ("paper", False, "offline")


def test_db_status_shows_a_real_postgres_with_pgvector(database):
    result = run_cli("db", "status", "--json")
    status = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert status["postgres_version"].startswith("18")
    assert status["pgvector_version"]
    assert status["migration"] == status["migration_head"]
    assert "bars" in status["tables"]


def test_the_cli_imports_no_heavy_library_before_a_command_needs_it():
    probe = ("import sys, api.cli; heavy = ('pandas', 'numpy', 'langchain_core', 'langgraph', 'fastapi', "
             "'sqlalchemy', 'numba', 'xgboost', 'slack_bolt'); print(','.join(m for m in heavy if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
