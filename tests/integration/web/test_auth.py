"""Log-in with an API key, the session cookie it sets, and log-out (which ends the session on the server)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from api.web.session import LOGIN_COOKIE, SESSION_COOKIE
from memory.users import UserStore, split_key
from memory.web_sessions import session_id
from tests.integration.api.conftest import make_settings
from tests.integration.web.conftest import graphless_chat, log_in, login_csrf


def test_a_page_without_a_session_sends_the_person_to_the_log_in_form(client):
    answer = client.get("/web/strategies", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login?next=/web/strategies"


def test_log_in_with_a_valid_key_sets_an_httponly_strict_cookie_holding_a_token_that_is_stored_only_hashed(
        client, keys, database):
    token = login_csrf(client)

    answer = client.post("/web/login", data={"api_key": keys["viewer"], "csrf_token": token,
                                             "next": "/web/runs"}, follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/web/runs"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    session_token = client.cookies[SESSION_COOKIE]
    assert split_key(keys["viewer"])[1] not in cookie and len(session_token) >= 40
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, user_id FROM web_sessions t WHERE strpos(t::text, :s) > 0"),
                            {"s": session_token}).all()
        (stored,) = conn.execute(text("SELECT id, user_id FROM web_sessions")).all()
    assert rows == [] and stored.id == session_id(session_token)
    assert stored.user_id == UserStore(database).get("viewer").id
    page = client.get("/web/")
    assert page.status_code == 200 and 'data-testid="user">viewer<' in page.text


def test_log_in_with_a_wrong_key_is_refused_and_starts_no_session(client, keys):
    token = login_csrf(client)

    answer = client.post("/web/login", data={"api_key": keys["viewer"][:-2] + "xx", "csrf_token": token},
                         follow_redirects=False)

    assert answer.status_code == 401 and "invalid or revoked API key" in answer.text
    assert SESSION_COOKIE not in answer.cookies
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_log_in_without_the_log_in_forms_csrf_token_is_refused(client, keys):
    login_csrf(client)

    answer = client.post("/web/login", data={"api_key": keys["viewer"], "csrf_token": "guessed"},
                         follow_redirects=False)

    assert answer.status_code == 403 and "CSRF" in answer.text
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_log_in_from_another_site_without_the_pre_session_cookie_is_refused(client, keys):
    token = login_csrf(client)
    client.cookies.delete(LOGIN_COOKIE)

    answer = client.post("/web/login", data={"api_key": keys["viewer"], "csrf_token": token},
                         follow_redirects=False)

    assert answer.status_code == 403


def test_log_in_never_redirects_off_site(client, keys):
    token = login_csrf(client)

    answer = client.post("/web/login", data={"api_key": keys["viewer"], "csrf_token": token,
                                             "next": "//evil.example/web/"}, follow_redirects=False)

    assert answer.headers["location"] == "/web/"


def test_log_out_ends_the_session(client, keys):
    csrf = log_in(client, keys["viewer"])

    answer = client.post("/web/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/web/login"
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_a_tampered_session_cookie_is_no_session(client, keys):
    log_in(client, keys["approver"])
    genuine = client.cookies[SESSION_COOKIE]
    forged = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    client.cookies.clear()

    client.cookies.set(SESSION_COOKIE, forged)
    assert client.get("/web/", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, genuine)
    assert client.get("/web/", follow_redirects=False).status_code == 200


def test_revoking_the_key_ends_its_web_sessions(client, keys, database):
    log_in(client, keys["viewer"])
    assert client.get("/web/", follow_redirects=False).status_code == 200

    UserStore(database).revoke("viewer")

    assert client.get("/web/", follow_redirects=False).status_code == 303


def _replay(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)


def test_a_logged_out_cookie_and_its_csrf_token_are_refused_when_replayed(client, keys):
    csrf = log_in(client, keys["trader"])
    stolen = client.cookies[SESSION_COOKIE]

    client.post("/web/logout", data={"csrf_token": csrf}, follow_redirects=False)
    _replay(client, stolen)
    page = client.get("/web/approvals", follow_redirects=False)
    fragment = client.get("/web/approvals", headers={"HX-Request": "true"}, follow_redirects=False)
    form = client.post("/web/chat/stream", data={"csrf_token": csrf, "message": "hello"}, follow_redirects=False)
    again = client.post("/web/logout", data={"csrf_token": csrf}, follow_redirects=False)

    assert page.status_code == 303 and page.headers["location"] == "/web/login?next=/web/approvals"
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/web/login"
    assert form.status_code == 401 and "please log in" in form.text
    assert again.status_code == 401


def test_logging_out_ends_that_session_only(client, app, keys):
    log_in(client, keys["viewer"])
    with TestClient(app, raise_server_exceptions=False) as laptop:
        csrf = log_in(laptop, keys["viewer"])
        laptop.post("/web/logout", data={"csrf_token": csrf}, follow_redirects=False)

        assert laptop.get("/web/", follow_redirects=False).status_code == 303
    assert client.get("/web/", follow_redirects=False).status_code == 200


def test_a_session_holds_on_every_api_worker_and_a_log_out_on_one_ends_it_on_all(client, keys, database):
    other_worker = create_app(make_settings(), database=database)  # another process's app: nothing shared in memory
    other_worker.state.web_chat = graphless_chat(database)
    csrf = log_in(client, keys["viewer"])
    cookie = client.cookies[SESSION_COOKIE]

    with TestClient(other_worker, raise_server_exceptions=False) as second:
        second.cookies.set(SESSION_COOKIE, cookie)
        assert second.get("/web/", follow_redirects=False).status_code == 200
        assert second.post("/web/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303

    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_logging_in_again_ends_the_browsers_previous_session(client, keys):
    log_in(client, keys["viewer"])
    first = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    token = login_csrf(client)

    client.cookies.set(SESSION_COOKIE, first)  # the browser still sends its old session with the new log-in
    answer = client.post("/web/login", data={"api_key": keys["approver"], "csrf_token": token},
                         follow_redirects=False)
    second = answer.cookies[SESSION_COOKIE]
    _replay(client, first)

    assert second != first
    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_an_expired_session_is_refused(client, keys, database):
    log_in(client, keys["viewer"])
    with database.engine.begin() as conn:  # twelve hours and a second later
        conn.execute(text("UPDATE web_sessions SET expires_at = now() - interval '1 second'"))

    assert client.get("/web/", follow_redirects=False).status_code == 303


def test_a_changed_role_applies_to_a_running_session_at_once(client, keys, database):
    log_in(client, keys["trader"])
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE api_users SET role = 'viewer' WHERE name = 'trader'"))

    page = client.get("/web/chat")

    assert page.status_code == 200 and 'id="send"' not in page.text
