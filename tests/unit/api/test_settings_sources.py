"""Where the settings come from: keyword arguments, then the environment, then ``.env``, then the defaults.

``config.EnvSettings`` reads them as pydantic-settings' ``BaseSettings`` did (which cost every command ~50 ms of
imports); these are the rules the product's settings objects rely on.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.schemas.settings import ApiSettings
from config import ModelProvider, Settings
from errors import ConfigError


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    """No QUANTPILOT_ or DATABASE_URL variable from the caller, and a working directory without a .env file."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("QUANTPILOT_") or name.upper() == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_the_safe_ones_and_the_home_is_expanded(clean_env, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "data"))

    settings = Settings()

    assert settings.model_provider is ModelProvider.OFFLINE and not settings.live_trading
    assert settings.database_url is None and settings.paper_account == "paper"
    assert settings.home == (clean_env / "data" / "quantpilot").resolve()


def test_a_variable_is_read_in_any_case_and_typed(clean_env, monkeypatch):
    monkeypatch.setenv("quantpilot_paper_account", "desk-2")
    monkeypatch.setenv("QUANTPILOT_LIVE_TRADING", "true")
    monkeypatch.setenv("QUANTPILOT_TURN_MAX_USD", "1.25")

    settings = Settings()

    assert (settings.paper_account, settings.live_trading, settings.turn_max_usd) == ("desk-2", True,
                                                                                       Decimal("1.25"))


def test_list_dict_and_model_fields_are_json(clean_env, monkeypatch):
    monkeypatch.setenv("QUANTPILOT_DATA_SOURCES", '["bundled"]')
    monkeypatch.setenv("QUANTPILOT_MODEL_PRICES", '{"m": {"input_usd_per_1m": 1, "output_usd_per_1m": 2}}')

    settings = Settings()

    assert settings.data_sources == ["bundled"]
    assert settings.model_prices["m"].output_usd_per_1m == Decimal(2)


def test_a_json_field_that_is_not_json_is_refused_naming_the_variable(clean_env, monkeypatch):
    monkeypatch.setenv("QUANTPILOT_DATA_SOURCES", "bundled")

    with pytest.raises(ConfigError, match="QUANTPILOT_DATA_SOURCES must be JSON"):
        Settings()


def test_database_url_is_read_from_either_name_without_the_prefix_rule(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/one")
    assert Settings().database_url.get_secret_value() == "postgresql://db/one"

    monkeypatch.setenv("QUANTPILOT_DATABASE_URL", "postgresql://db/two")
    assert Settings().database_url.get_secret_value() == "postgresql://db/two"  # the first name wins


def test_arguments_win_over_the_environment_which_wins_over_dotenv(clean_env, monkeypatch):
    (clean_env / ".env").write_text("QUANTPILOT_PAPER_ACCOUNT=from-file\nQUANTPILOT_MODEL_NAME=file-model\n"
                                    "QUANTPILOT_API_MAX_BODY_BYTES=2048\n", encoding="utf-8")
    monkeypatch.setenv("QUANTPILOT_PAPER_ACCOUNT", "from-env")

    settings = Settings()
    assert (settings.paper_account, settings.model_name) == ("from-env", "file-model")
    assert Settings(paper_account="from-args", database_url="postgresql://x/y").paper_account == "from-args"
    assert ApiSettings().max_body_bytes == 2048
    assert ApiSettings(_env_file=None).max_body_bytes == 1024 * 1024  # the file skipped


def test_a_bad_value_is_a_validation_error_naming_the_field(clean_env, monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("QUANTPILOT_LIVE_TRADING", "perhaps")

    with pytest.raises(ValidationError, match="live_trading"):
        Settings()
