"""Who the CLI acts as: the person holding an API key, like every other interface.

The key comes from ``QUANTPILOT_API_KEY``, else the credentials file ``quantpilot login`` wrote
(``$QUANTPILOT_HOME/credentials.json``, mode 0600), else a hidden prompt on a terminal. Commands that
change state or decide need it; read commands without a key act as the local reader (viewer). Local
set-up (the first admin, ``db``, ``demo``) works without one and says so.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from errors import AuthenticationError
from guardrails.policy import Actor, Channel

API_KEY_ENV = "QUANTPILOT_API_KEY"
CREDENTIALS_FILE = "credentials.json"


def credentials_path() -> Path:
    from config import get_settings

    return get_settings().home / CREDENTIALS_FILE


def saved_key() -> str | None:
    """The key in the credentials file, or None (missing or unreadable file)."""
    path = credentials_path()
    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["api_key"]).strip() or None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_key(api_key: str) -> Path:
    """Write the credentials file, readable by this OS user only (0600, also when it existed before)."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"api_key": api_key}, handle)
    path.chmod(0o600)
    return path


def forget_key() -> bool:
    """Remove the credentials file; True when there was one."""
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True


def _key(prompt: bool) -> str | None:
    found = os.environ.get(API_KEY_ENV) or saved_key()
    if found or not prompt or not sys.stdin.isatty():
        return found
    return getpass.getpass("quantpilot API key (not shown): ").strip() or None


def user_service():
    """The user service on the configured database, with the API's key pepper."""
    from api.schemas.settings import ApiSettings
    from memory.db import connect
    from services.users import UserService, pepper_bytes

    return UserService(connect(), pepper=pepper_bytes(ApiSettings().key_pepper))


def _first_user_hint() -> str:
    """On an install without an admin yet, how to make the first one (a new user's first question)."""
    from guardrails.policy import Role

    if user_service().store.count_active(Role.ADMIN):
        return ""
    return "; a new install has no user yet: `quantpilot users add NAME --role admin` creates the first and signs in"


def cli_key(*, required: bool = True) -> str | None:
    """The signed-in person's API key (asked for on a terminal when ``required`` and none is set); None when
    there is none and it is not ``required``, else ``AuthenticationError`` saying how to sign in."""
    key = _key(prompt=required)
    if not key and required:
        raise AuthenticationError(f"this command acts as you and needs your API key: run `quantpilot login` "
                                  f"(or set {API_KEY_ENV}){_first_user_hint()}")
    return key


def actor_for_key(key: str | None) -> Actor:
    """The person ``key`` belongs to (no key: the local reader, reads only)."""
    if not key:
        return Actor.local_reader()
    try:
        return user_service().authenticate(key, Channel.CLI)
    except AuthenticationError as exc:
        raise AuthenticationError(f"{exc.message}; run `quantpilot login` with a valid key "
                                  f"(or fix {API_KEY_ENV})") from exc


def cli_actor(*, required: bool = True) -> Actor:
    """The person this command acts for. Without a key: ``AuthenticationError`` saying how to sign in when
    ``required``, else the local reader (viewer, reads only)."""
    return actor_for_key(cli_key(required=required))
