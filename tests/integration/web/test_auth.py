"""Log-in with an API key, the session cookie it sets, and log-out."""

from __future__ import annotations

import base64

from api.web.session import LOGIN_COOKIE, SESSION_COOKIE
from memory.users import UserStore, split_key
from tests.integration.web.conftest import log_in, login_csrf


def test_a_page_without_a_session_sends_the_person_to_the_log_in_form(client):
    answer = client.get("/web/strategies", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/web/login?next=/web/strategies"


def test_log_in_with_a_valid_key_sets_a_signed_httponly_strict_session_cookie_without_the_key(client, keys):
    token = login_csrf(client)

    answer = client.post("/web/login", data={"api_key": keys["viewer"], "csrf_token": token,
                                             "next": "/web/runs"}, follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/web/runs"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    secret = split_key(keys["viewer"])[1]
    payload = cookie.split("=", 1)[1].split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert secret not in cookie and secret not in decoded and '"u":"viewer"' in decoded
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
    payload, signature = genuine.split(".")
    forged = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    client.cookies.clear()

    client.cookies.set(SESSION_COOKIE, f"{forged}.{signature}")
    assert client.get("/web/", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, genuine)
    assert client.get("/web/", follow_redirects=False).status_code == 200


def test_revoking_the_key_ends_its_web_sessions(client, keys, database):
    log_in(client, keys["viewer"])
    assert client.get("/web/", follow_redirects=False).status_code == 200

    UserStore(database).revoke("viewer")

    assert client.get("/web/", follow_redirects=False).status_code == 303
