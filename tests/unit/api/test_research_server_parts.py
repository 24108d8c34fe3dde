"""The resident research process's pieces that decide whether a command may be answered there: the settings
fingerprint, the check of its loaded code on disk, the message framing."""

from __future__ import annotations

import io
import os
import sys

import pytest

from api.research_server.self_watch import CodeOnDisk
from api.research_server.wire import ServerPaths, receive, send, settings_fingerprint


def test_the_fingerprint_follows_settings_not_the_key_nor_the_shell(tmp_path):
    base = {"QUANTPILOT_HOME": "/h", "PATH": "/usr/bin", "SHLVL": "1"}
    same = settings_fingerprint(base, tmp_path)
    assert settings_fingerprint({**base, "QUANTPILOT_API_KEY": "qp_other", "SHLVL": "3", "TERM": "xterm",
                                 "QUANTPILOT_EMBEDDED_URL": "postgresql://x", "QUANTPILOT_RESEARCH_SERVER": "auto"},
                                tmp_path) == same
    for changed in ({"QUANTPILOT_STALE_AFTER_DAYS": "9"}, {"DATABASE_URL": "postgresql://db/x"},
                    {"NUMBA_CACHE_DIR": "/c"}, {"PYTHONHASHSEED": "1"}):
        assert settings_fingerprint({**base, **changed}, tmp_path) != same, changed
    (tmp_path / ".env").write_text("QUANTPILOT_LOG_LEVEL=DEBUG\n")
    assert settings_fingerprint(base, tmp_path) != same  # a .env in the working directory is read as settings


def test_a_changed_or_removed_module_file_makes_the_code_stale(tmp_path, monkeypatch):
    module_file = tmp_path / "qp_probe_module.py"
    module_file.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import qp_probe_module  # noqa: F401

    try:
        code = CodeOnDisk()
        assert code.changed() is None
        module_file.write_text("VALUE = 22\n")  # another size (and mtime)
        assert code.changed() == str(module_file)
        module_file.unlink()
        assert code.changed() == str(module_file)
    finally:
        sys.modules.pop("qp_probe_module", None)


def test_modules_loaded_later_are_watched_after_add_loaded(tmp_path, monkeypatch):
    code = CodeOnDisk()
    module_file = tmp_path / "qp_late_module.py"
    module_file.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import qp_late_module  # noqa: F401

    try:
        module_file.write_text("VALUE = 333\n")
        assert code.changed() is None  # not loaded when it looked
        code.add_loaded()
        os.utime(module_file, ns=(1, 1))
        assert code.changed() == str(module_file)
    finally:
        sys.modules.pop("qp_late_module", None)


def test_messages_round_trip_and_a_cut_message_is_refused():
    stream = io.BytesIO()
    send(stream, {"op": "call", "args": [1.5, None, "ü"]})
    stream.seek(0)
    assert receive(stream) == {"op": "call", "args": [1.5, None, "ü"]}
    assert receive(stream) is None  # closed
    with pytest.raises(ValueError):
        receive(io.BytesIO(b'{"op": "ca'))
    with pytest.raises(ValueError):
        receive(io.BytesIO(b"[1, 2]\n"))


def test_a_deep_home_puts_the_socket_where_its_path_fits(tmp_path):
    deep = tmp_path / ("d" * 120)
    paths = ServerPaths.for_home(deep)
    assert len(str(paths.socket)) < 108 and paths.socket.parent.name == f"quantpilot-{os.getuid()}"
    assert paths.lock.parent == deep / "run" and ServerPaths.for_home(tmp_path).socket == tmp_path / "run" / \
        "research.sock"


def test_an_error_from_the_resident_process_keeps_its_type_message_and_for_debug_its_traceback():
    from api.research_server.client import _as_error
    from errors import QuotaExceeded

    quota = _as_error({"error": {"type": "QuotaExceeded", "message": "too many jobs", "code": "quota_exceeded",
                                 "details": {"retry_after_s": 10}}})
    assert isinstance(quota, QuotaExceeded) and str(quota) == "too many jobs" and quota.retry_after_s == 10
    unexpected = _as_error({"unexpected": {"type": "KeyError", "message": "'x'", "traceback": "Traceback: here"}})
    assert type(unexpected).__name__ == "KeyError" and str(unexpected) == "'x'"
    assert unexpected.__notes__ == ["raised in the resident research process:\nTraceback: here"]
