"""Loaded by child processes of the secrets test (on PYTHONPATH): any non-loopback connection fails."""

import socket

_real = socket.socket.connect


def _guarded(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if self.family != socket.AF_UNIX and not (str(host) in ("localhost", "::1") or str(host).startswith("127.")):
        raise ConnectionRefusedError(f"no network in tests (tried {address!r})")
    return _real(self, address)


socket.socket.connect = _guarded
