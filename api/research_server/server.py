"""The resident research process of one home serving requests (started by ``boot``).

Once ``boot`` has loaded the research stack and the crossover kernels, it listens on the home's socket
(``wire.ServerPaths``) and runs one request at a time on its main thread: the research service's ``grid`` or
``walk_forward`` for the user whose key the request carries (the same authentication, policy and stored run as
in the command's own process). A request that arrives while one runs is answered ``busy`` (its command then runs
in its own process). The process ends when it has been idle for ``research_server_idle_minutes``, when a file
of its loaded code changed on disk or a command's settings fingerprint differs from its own (``stale``: the
command runs itself and starts a fresh one), when its memory grew past ``RECYCLE_MB`` after a request, on
``stop`` (``quantpilot research-server stop``), SIGTERM or SIGINT. A command whose person presses Ctrl-C closes
its connection; the request in progress is then interrupted here as it would have been in the command's process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import socket
import threading
import time
import traceback
from typing import Any

from api.research_server.self_watch import CodeOnDisk, give_back_memory, peak_resident_mb, resident_mb
from api.research_server.wire import ServerPaths, peer_uid, receive, send
from errors import QuantpilotError

log = logging.getLogger("quantpilot.research_server")

CALLS = frozenset({"grid", "walk_forward"})  # the research service's methods a request may ask for
RECYCLE_MB = 1024  # resident memory after a request above which the process ends (the next command starts anew)
CHECK_S = 5.0  # how often an idle process looks at the clock and at its code on disk
FIRST_MESSAGE_TIMEOUT_S = 10.0  # a connection that says nothing for this long is closed


def _error_message(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, QuantpilotError):
        return {"error": {"type": type(exc).__name__, "message": exc.message, "code": exc.code,
                          "details": exc.details}}
    return {"unexpected": {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}}


def _json_default(value: Any) -> Any:
    from api.output import _default

    return _default(value)


class ResearchServer:
    def __init__(self, paths: ServerPaths, *, idle_s: float, fingerprint: str):
        self.paths = paths
        self.idle_s = idle_s
        self.fingerprint = fingerprint  # of the environment it was started with, before it set its own
        self.code = CodeOnDisk()
        self.started = time.time()
        self.served = 0
        self.last_active = time.monotonic()
        self.requests: queue.Queue = queue.Queue()
        self.busy = False  # a request is queued or running (read by the accepting thread)
        self.active = False  # the main thread is inside a request's work (read by the cancel signal's handler)
        self.stopping: str | None = None  # why the process ends
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    # ------------------------------------------------------------------ lifecycle
    def serve(self) -> str:
        """Listen and answer until a reason to end; returns the reason."""
        signal.signal(signal.SIGUSR1, self._on_cancel)
        signal.signal(signal.SIGTERM, lambda *_: self._stop("SIGTERM"))
        self._listen()
        threading.Thread(target=self._accept_loop, name="accept", daemon=True).start()
        try:
            while self.stopping is None:
                try:
                    item = self.requests.get(timeout=CHECK_S)
                except queue.Empty:
                    self._check_idle()
                    continue
                if item is None:  # woken to stop
                    continue
                self._handle(*item)
        except KeyboardInterrupt:
            self.stopping = "SIGINT"
        finally:
            self._close()
        return self.stopping or "stopped"

    def _listen(self) -> None:
        path = self.paths.socket
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a socket left by a process that died (we hold the lock: no other process listens)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        previous = os.umask(0o177)
        try:
            listener.bind(str(path))
        finally:
            os.umask(previous)
        path.chmod(0o600)
        listener.listen(16)
        self._listener = listener
        self.paths.pid.write_text(json.dumps({"pid": os.getpid(), "socket": str(path), "started": self.started}),
                                  encoding="utf-8")

    def _close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        for path in (self.paths.socket, self.paths.pid):
            with contextlib.suppress(OSError):
                path.unlink()
        log.info("stopped: %s (%d requests served)", self.stopping, self.served)

    def _stop(self, reason: str) -> None:
        if self.stopping is None:
            self.stopping = reason
        self.requests.put(None)

    def _check_idle(self) -> None:
        if time.monotonic() - self.last_active > self.idle_s:
            self._stop(f"idle for {self.idle_s / 60:g} minutes")
        elif changed := self.code.changed():
            self._stop(f"code changed on disk ({changed})")

    # ------------------------------------------------------------------ accepting (a thread)
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while self.stopping is None:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            try:
                self._admit(connection)
            except Exception:  # noqa: BLE001 - one bad connection never stops the process
                log.exception("connection refused")
                connection.close()

    def _admit(self, connection: socket.socket) -> None:
        if peer_uid(connection) != os.getuid():
            log.warning("refused a connection from another user")
            connection.close()
            return
        connection.settimeout(FIRST_MESSAGE_TIMEOUT_S)
        stream = connection.makefile("rwb")
        request = receive(stream)
        if request is None:
            connection.close()
            return
        connection.settimeout(None)
        op = request.get("op")
        if op == "status":
            send(stream, self._status())
        elif op == "stop":
            send(stream, {"stopping": True, "pid": os.getpid()})
            self._stop("asked to stop")
        elif op == "call":
            with self._lock:
                take = not self.busy and self.stopping is None
                self.busy = self.busy or take
            if take:
                send(stream, {"accepted": True})
                self.requests.put((connection, stream, request))
                return
            send(stream, {"busy": True})
        else:
            send(stream, {"error": {"type": "ConfigError", "message": f"unknown request {op!r}", "code":
                                    "config_error", "details": {}}})
        connection.close()

    def _status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "started": self.started, "served": self.served, "busy": self.busy,
                "resident_mb": round(resident_mb(), 1),
                "peak_mb": round(peak_resident_mb() or 0.0, 1), "idle_s": self.idle_s,
                "idle_for_s": round(time.monotonic() - self.last_active, 1)}

    # ------------------------------------------------------------------ requests (the main thread)
    def _on_cancel(self, *_: Any) -> None:
        if self.active:  # only inside a request's work: never between requests
            self.active = False
            raise KeyboardInterrupt

    def _watch(self, connection: socket.socket, done: threading.Event, gone: threading.Event) -> None:
        """Interrupt the request when its command goes away (Ctrl-C closes the connection): ``gone`` first, then
        the signal if the work has begun (``_handle`` looks at ``gone`` right after it begins: either sees it)."""
        try:
            closed = connection.recv(1) == b""
        except OSError:
            closed = True
        if closed and not done.is_set():
            gone.set()
            if self.active:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    def _handle(self, connection: socket.socket, stream: Any, request: dict[str, Any]) -> None:
        done, gone = threading.Event(), threading.Event()
        threading.Thread(target=self._watch, args=(connection, done, gone), name="watch", daemon=True).start()
        answer: dict[str, Any] | None = None
        try:
            stale = self._stale(request)
            if stale:
                answer = {"stale": stale}
                self._stop(stale)
            else:
                self.active = True
                try:
                    if gone.is_set():  # the command went away before the work began: none of it is done
                        raise KeyboardInterrupt
                    answer = {"result": self._call(request, stream)}
                finally:
                    self.active = False
        except KeyboardInterrupt:
            log.info("request interrupted: its command went away")
        except Exception as exc:  # noqa: BLE001 - the command shows it, as it would its own
            if not isinstance(exc, QuantpilotError):
                log.exception("request failed")
            answer = _error_message(exc)
            if _database_lost(exc):  # the next command runs itself, and starts the database again if need be
                self._stop("the database connection was lost")
        finally:
            self.active = False
            done.set()
            self.served += 1
            if answer is not None:
                with contextlib.suppress(OSError):
                    send_answer(stream, answer)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
            self._after_request()

    def _stale(self, request: dict[str, Any]) -> str | None:
        if request.get("fingerprint") != self.fingerprint:
            return "a command with other settings (environment or .env) asked"
        changed = self.code.changed()
        return f"code changed on disk ({changed})" if changed else None

    def _call(self, request: dict[str, Any], stream: Any) -> Any:
        from api.cli_auth import actor_for_key
        from memory.db import connect
        from services.research import ResearchService

        method = request.get("method")
        if method not in CALLS:
            from errors import ConfigError

            raise ConfigError(f"the research process does not run {method!r}")
        service = ResearchService(connect(), actor=actor_for_key(request.get("key")))
        kwargs = dict(request.get("kwargs") or {})
        if request.get("progress"):
            def progress(done: int, total: int) -> None:
                try:
                    send(stream, {"progress": [done, total]})
                except OSError:  # the command went away: stop as its own Ctrl-C would
                    raise KeyboardInterrupt from None
            kwargs["progress"] = progress
        return getattr(service, method)(*(request.get("args") or ()), **kwargs)

    def _after_request(self) -> None:
        with self._lock:
            self.busy = False
        self.last_active = time.monotonic()
        self.code.add_loaded()
        give_back_memory()
        if (size := resident_mb()) > RECYCLE_MB:
            self._stop(f"resident memory {size:,.0f} MB after a request (over {RECYCLE_MB:,} MB)")


def _database_lost(exc: BaseException) -> bool:
    from memory.db import connection_lost

    return connection_lost(exc)


def send_answer(stream: Any, answer: dict[str, Any]) -> None:
    """The last message of a request, numpy values and dates as the CLI's ``--json`` writes them."""
    stream.write(json.dumps(answer, separators=(",", ":"), default=_json_default).encode() + b"\n")
    stream.flush()
