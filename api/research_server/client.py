"""How ``backtest grid`` and ``walkforward`` reach the research service: through the home's resident research
process when it is up, idle and started with the same settings; otherwise in the command's own process, after
which the resident process is started in the background for the next command (``research_server = auto``).

Either way the answer is the service's: the same actor (the request carries the key this command would use),
the same checks, errors and stored run. An error the service raised there is raised here with its type and
message, so the command prints it as it would its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from api.research_server.wire import PER_PROCESS, ServerPaths, receive, send, settings_fingerprint
from errors import QuantpilotError

CONNECT_TIMEOUT_S = 2.0
ACCEPT_TIMEOUT_S = 10.0  # for its "accepted": a command that gives up closes the connection, so it never runs there
Progress = Callable[[int, int], None]


class ResidentProcessLost(QuantpilotError):
    """The resident research process ended while it ran a request (the request may be stored as failed)."""

    code = "research_process_lost"


def _paths() -> ServerPaths:
    from config import get_settings

    return ServerPaths.for_home(get_settings().home)


def run_research(method: str, args: Sequence[Any], kwargs: Mapping[str, Any], *,
                 progress: Progress | None = None) -> dict:
    """``ResearchService(...).<method>(*args, **kwargs)`` for the signed-in person (a trader's key), in the
    resident process when it can take it, else here (then the resident process is started for the next one)."""
    from api.cli_auth import cli_key
    from config import get_settings

    key = cli_key(required=True)
    resident = get_settings().research_server == "auto"
    if resident:
        answer = ask_resident(_paths(), method, args, kwargs, key, progress)
        if answer is not None:
            return answer
    result = _run_here(method, args, kwargs, key, progress)
    if resident:
        with contextlib.suppress(OSError):  # the answer stands; without a resident process the next runs here too
            start_resident(_paths())
    return result


def _run_here(method: str, args: Sequence[Any], kwargs: Mapping[str, Any], key: str | None,
              progress: Progress | None) -> dict:
    from api.cli_auth import actor_for_key
    from memory.db import connect
    from services.research import ResearchService

    service = ResearchService(connect(), actor=actor_for_key(key))
    return getattr(service, method)(*args, **kwargs, **({"progress": progress} if progress else {}))


def _connect(paths: ServerPaths) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(CONNECT_TIMEOUT_S)
    try:
        connection.connect(str(paths.socket))
    except OSError:  # not running (no socket, or a socket left by a process that died)
        connection.close()
        return None
    return connection


def ask_resident(paths: ServerPaths, method: str, args: Sequence[Any], kwargs: Mapping[str, Any], key: str | None,
                 progress: Progress | None) -> dict | None:
    """The resident process's answer, or None when there is none to ask, it is busy, or it was started with
    other settings or older code (it then ends; the caller runs the request itself)."""
    connection = _connect(paths)
    if connection is None:
        return None
    with connection:
        stream = connection.makefile("rwb")
        connection.settimeout(ACCEPT_TIMEOUT_S)
        try:
            send(stream, {"op": "call", "method": method, "args": list(args), "kwargs": dict(kwargs), "key": key,
                          "progress": progress is not None, "fingerprint": settings_fingerprint()})
            first = receive(stream)
        except (OSError, ValueError):
            return None
        if not first or not first.get("accepted"):
            return None  # busy, stopping, or gone before it took the request
        connection.settimeout(None)  # the work takes as long as it takes; Ctrl-C here closes the connection
        while True:
            try:
                message = receive(stream)
            except (OSError, ValueError) as exc:
                raise ResidentProcessLost(_lost(paths, exc)) from None
            if message is None:
                raise ResidentProcessLost(_lost(paths, None))
            if "progress" in message:
                if progress is not None:
                    progress(*message["progress"])
                continue
            if "stale" in message:
                return None
            if "result" in message:
                return message["result"]
            raise _as_error(message)


def _lost(paths: ServerPaths, exc: BaseException | None) -> str:
    why = f" ({exc})" if exc else ""
    return (f"the resident research process ended before it answered{why}; its log is {paths.log}. Run the "
            f"command again (it runs in its own process when there is no resident one), or set "
            f"QUANTPILOT_RESEARCH_SERVER=off")


def _as_error(message: Mapping[str, Any]) -> Exception:
    import errors

    if "error" in message:
        error = message["error"]
        kind = getattr(errors, str(error.get("type")), None)
        kind = kind if isinstance(kind, type) and issubclass(kind, QuantpilotError) else QuantpilotError
        exc = kind.__new__(kind)
        QuantpilotError.__init__(exc, str(error.get("message")), code=error.get("code"), details=error.get("details"))
        if "retry_after_s" in exc.details:
            exc.retry_after_s = exc.details["retry_after_s"]
        return exc
    unexpected = message.get("unexpected") or {}
    # the same words the command prints for its own unexpected failure: "unexpected <type>: <message>"
    named = type(str(unexpected.get("type", "Exception")), (RuntimeError,), {})
    error = named(str(unexpected.get("message", message)))
    if unexpected.get("traceback"):  # shown under `--debug`, after this process's own traceback
        error.add_note("raised in the resident research process:\n" + str(unexpected["traceback"]).rstrip())
    return error


# ---------------------------------------------------------------------------------------------- lifecycle
def is_running(paths: ServerPaths) -> bool:
    """True when a resident process holds the home's lock (running, or loading)."""
    if not paths.lock.exists():
        return False
    descriptor = os.open(paths.lock, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # closing releases a lock taken here
    return False


def start_resident(paths: ServerPaths) -> int | None:
    """Start the home's resident process in the background unless one runs; its process id, or None."""
    if is_running(paths):
        return None
    paths.make_private_dirs()
    environment = {k: v for k, v in os.environ.items() if k not in PER_PROCESS}  # keys come with each request
    with open(paths.log, "ab") as log:
        child = subprocess.Popen([sys.executable, "-m", "api.research_server"], stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
                                 close_fds=True)
    return child.pid


def _one_question(connection: socket.socket | None, question: dict[str, Any]) -> dict[str, Any] | None:
    """Send ``question`` on ``connection`` and return the one answer (None: no connection, or no answer)."""
    if connection is None:
        return None
    with connection:
        stream = connection.makefile("rwb")
        try:
            send(stream, question)
            return receive(stream)
        except (OSError, ValueError):
            return None


def status(paths: ServerPaths) -> dict[str, Any] | None:
    """What the resident process says about itself, None when none answers."""
    return _one_question(_connect(paths), {"op": "status"})


def stop(paths: ServerPaths, *, wait_s: float = 10.0) -> int | None:
    """Ask the resident process to end and wait until it has; its process id, None when none ran. One still
    loading is waited for first (it listens once loaded)."""
    connection = _connect(paths)
    if connection is None and is_running(paths) and wait_until_ready(paths, wait_s=wait_s * 6) is not None:
        connection = _connect(paths)
    if connection is None:
        return None
    answer = _one_question(connection, {"op": "stop"}) or {}
    deadline = time.monotonic() + wait_s
    while is_running(paths) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer.get("pid")


def wait_until_ready(paths: ServerPaths, *, wait_s: float = 120.0) -> dict[str, Any] | None:
    """The resident process's status once it answers (it loads for a second or two first), None if it ends or
    does not answer within ``wait_s``."""
    began = time.monotonic()
    while time.monotonic() - began < wait_s:
        with contextlib.suppress(OSError):
            answer = status(paths)
            if answer is not None:
                return answer
        if time.monotonic() - began > 5 and not is_running(paths):
            return None  # it ended (another took the home, or it could not load: see the log)
        time.sleep(0.1)
    return None
