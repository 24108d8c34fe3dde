"""The CLI's credentials file: only its OS user may read it, and forgetting removes it."""

from __future__ import annotations

import stat

import pytest


@pytest.fixture()
def home(tmp_path, monkeypatch):
    from config import get_settings

    monkeypatch.setenv("QUANTPILOT_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    from memory.db import forget_connections
    from memory.server import stop_embedded

    forget_connections()
    stop_embedded(get_settings().pgdata)  # a read as the local reader started this home's own server
    get_settings.cache_clear()


def test_a_saved_key_is_readable_by_its_owner_only_and_read_back(home):
    from api.cli_auth import forget_key, save_key, saved_key

    path = save_key("qp_0123456789ab_secret")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert saved_key() == "qp_0123456789ab_secret"
    assert forget_key() is True and saved_key() is None and forget_key() is False


def test_an_existing_file_with_loose_permissions_is_tightened_when_a_key_is_saved(home):
    from api.cli_auth import credentials_path, save_key

    credentials_path().write_text("{}")
    credentials_path().chmod(0o644)

    save_key("qp_0123456789ab_secret")

    assert stat.S_IMODE(credentials_path().stat().st_mode) == 0o600


def test_without_a_key_a_command_that_acts_says_how_to_sign_in_and_a_read_acts_as_the_local_reader(home,
                                                                                                      monkeypatch):
    from api.cli_auth import cli_actor
    from errors import AuthenticationError
    from guardrails.policy import Role

    monkeypatch.delenv("QUANTPILOT_API_KEY", raising=False)

    with pytest.raises(AuthenticationError, match="quantpilot login"):
        cli_actor(required=True)
    reader = cli_actor(required=False)
    assert (reader.user_id, reader.role) == (None, Role.VIEWER)
