"""Where the resident research process listens and how it and the commands talk.

One socket per home, in a directory only this OS user may enter (``<home>/run``, mode 0700; the socket 0600), and
the server checks the peer's user id as well. Messages are JSON objects, one per line. The fingerprint covers what
decides how a command behaves besides its arguments: the interpreter, the settings' environment variables and the
``.env`` file of the working directory; a command whose fingerprint differs runs in its own process.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_MESSAGE = 256 * 1024 * 1024  # bytes of one message (a walk-forward's answer is a few MB at most)
# environment variables that change a command's behaviour: the settings' own and the libraries' knobs
_RELEVANT_PREFIXES = ("QUANTPILOT_", "DATABASE_", "OPENAI_", "ALPACA_", "APCA_", "SLACK_", "LANGCHAIN_", "LANGSMITH_",
                      "NUMBA_", "ARROW_", "OMP_", "OPENBLAS_", "MKL_", "PYTHON", "PG", "TZ", "LANG", "LC_", "XDG_",
                      "HOME")
# not part of the fingerprint: who acts is decided per request from its key; the embedded database's address is
# what a process writes for its children once it found the server (memory.server), not a setting; whether to use
# the resident process at all is the command's own choice (an explicit `auto` is no other setting)
PER_PROCESS = frozenset({"QUANTPILOT_API_KEY", "QUANTPILOT_DEBUG", "QUANTPILOT_EMBEDDED_URL",
                         "QUANTPILOT_RESEARCH_SERVER"})
_SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes on Linux


@dataclass(frozen=True)
class ServerPaths:
    """The files of one home's resident research process."""

    run_dir: Path
    socket: Path
    lock: Path
    pid: Path
    log: Path

    @classmethod
    def for_home(cls, home: Path) -> ServerPaths:
        run_dir = home / "run"
        sock = run_dir / "research.sock"
        if len(str(sock)) > _SOCKET_PATH_MAX:  # a deep home: the socket goes to a per-user directory in /tmp
            digest = hashlib.sha256(str(home).encode()).hexdigest()[:16]
            sock = Path("/tmp") / f"quantpilot-{os.getuid()}" / f"research-{digest}.sock"
        return cls(run_dir, sock, run_dir / "research.lock", run_dir / "research.pid", home / "logs" / "research.log")

    def make_private_dirs(self) -> None:
        for directory in {self.run_dir, self.socket.parent}:
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        self.log.parent.mkdir(parents=True, exist_ok=True)


def settings_fingerprint(environ: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """A digest of what a command's behaviour depends on besides its arguments."""
    environ = dict(os.environ if environ is None else environ)
    relevant = sorted((k, v) for k, v in environ.items() if k.startswith(_RELEVANT_PREFIXES) and k not in PER_PROCESS)
    dotenv = (cwd or Path.cwd()) / ".env"
    try:
        dotenv_bytes = dotenv.read_bytes()
    except OSError:
        dotenv_bytes = b""
    digest = hashlib.sha256()
    digest.update(json.dumps([sys.prefix, sys.version, relevant]).encode())  # the venv, not the launcher
    digest.update(hashlib.sha256(dotenv_bytes).digest())
    return digest.hexdigest()


def send(stream: Any, message: dict[str, Any]) -> None:
    """Write one message (a JSON object on one line) and flush it."""
    stream.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    stream.flush()


def receive(stream: Any) -> dict[str, Any] | None:
    """The next message, or None when the other side closed the connection."""
    line = stream.readline(MAX_MESSAGE + 1)
    if not line:
        return None
    if len(line) > MAX_MESSAGE or not line.endswith(b"\n"):
        raise ValueError("message too large or cut off")
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message


def peer_uid(connection: socket.socket) -> int:
    """The user id of the process on the other end of a Unix socket (SO_PEERCRED)."""
    import struct

    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid
