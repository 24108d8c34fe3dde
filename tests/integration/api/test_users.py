"""Users over HTTP (admin) and the `quantpilot users` commands: the key is shown once, stored hashed, revocable."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.commands import users_cmd
from api.schemas.users import UserIssued, UsersPublic
from guardrails.policy import Role
from memory.users import UserStore
from tests.integration.api.conftest import auth


def test_an_admin_creates_a_user_whose_key_works_once_issued(client, keys):
    created = client.post("/api/v1/users", json={"name": "carol", "role": "approver"}, headers=auth(keys[Role.ADMIN]))
    issued = UserIssued.model_validate(created.json())
    me = client.get("/api/v1/users/me", headers={"X-API-Key": issued.api_key}).json()
    assert created.status_code == 201 and me == {"name": "carol", "role": "approver", "key_id": issued.user.key_id}


def test_listing_users_never_shows_a_key(client, keys):
    response = client.get("/api/v1/users", headers=auth(keys[Role.ADMIN]))
    listing = UsersPublic.model_validate(response.json())
    assert {u.name for u in listing.users} == {f"{r.value}-user" for r in Role}
    assert not any(key in response.text or key[16:] in response.text for key in keys.values())


def test_a_duplicate_active_name_is_refused_but_a_revoked_name_can_be_reused(client, keys, database):
    admin = auth(keys[Role.ADMIN])
    duplicate = client.post("/api/v1/users", json={"name": "viewer-user", "role": "viewer"}, headers=admin)
    client.delete("/api/v1/users/viewer-user", headers=admin)
    reused = client.post("/api/v1/users", json={"name": "viewer-user", "role": "trader"}, headers=admin)
    assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == "user_exists"
    assert reused.status_code == 201
    assert client.get("/api/v1/users/me", headers=auth(keys[Role.VIEWER])).status_code == 401


def test_revoking_an_unknown_user_is_404(client, keys):
    assert client.delete("/api/v1/users/ghost", headers=auth(keys[Role.ADMIN])).status_code == 404


def test_cli_add_prints_the_key_once_and_list_and_revoke_follow(database, client, act_as):
    act_as("admin", name="ada")
    runner = CliRunner()
    added = runner.invoke(users_cmd.app, ["add", "dave", "--role", "trader", "--json"])
    assert added.exit_code == 0, added.output
    key = json.loads(added.output)["api_key"]
    assert client.get("/api/v1/users/me", headers=auth(key)).json()["name"] == "dave"

    listed = runner.invoke(users_cmd.app, ["list", "--json"])
    assert [u["name"] for u in json.loads(listed.output)] == ["ada", "dave"]
    assert key not in listed.output and key[16:] not in listed.output

    revoked = runner.invoke(users_cmd.app, ["revoke", "dave", "--json"])
    assert revoked.exit_code == 0 and json.loads(revoked.output)["active"] is False
    assert client.get("/api/v1/users/me", headers=auth(key)).status_code == 401


def test_the_first_admin_of_an_install_is_created_without_a_key_and_a_second_keyless_one_is_refused(
        database, monkeypatch):
    from api.cli_auth import credentials_path, forget_key
    from memory.audit import AuditLog

    monkeypatch.delenv("QUANTPILOT_API_KEY", raising=False)
    assert not credentials_path().exists()
    try:
        first = CliRunner().invoke(users_cmd.app, ["add", "root", "--role", "admin", "--json"])
        saved = credentials_path().exists()
        forget_key()  # signed out again: nobody's key
        second = CliRunner().invoke(users_cmd.app, ["add", "mallory", "--role", "admin"])
    finally:
        forget_key()

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["signed_in"] is True and saved
    (created,) = AuditLog(database).recent(action="user_created")
    assert (created.actor, created.channel, created.payload["bootstrap"]) == ("bootstrap", "cli", True)
    assert second.exit_code != 0 and "needs your API key" in str(second.exception)
    assert "a new install has no user yet" not in str(second.exception)  # there is an admin: sign in as them
    assert [u.name for u in UserStore(database).list()] == ["root"]


def test_a_new_install_is_told_how_to_make_its_first_user(database, monkeypatch):
    from tests.integration.cli_runner import run_cli

    monkeypatch.delenv("QUANTPILOT_API_KEY", raising=False)
    refused = run_cli("data", "load", "--source", "bundled", "--symbols", "AAPL")

    assert refused.exit_code == 2 and "needs your API key" in refused.stderr
    assert "`quantpilot users add NAME --role admin` creates the first" in " ".join(refused.stderr.split())


def test_cli_add_refuses_an_unknown_role(database):
    result = CliRunner().invoke(users_cmd.app, ["add", "erin", "--role", "superuser"])
    assert result.exit_code != 0
    assert UserStore(database).list() == []
