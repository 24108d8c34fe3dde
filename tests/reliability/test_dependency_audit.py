"""``make audit-deps`` (benchmarks/soak_dependency_audit.py) against a fake package index on loopback: how
an advisory listed for the latest release bears on the locked version, and what the gate prints and exits."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from benchmarks.soak_dependency_audit import Locked, Lookup, applies, assess, main
from tests.support.loopback_http import serving

GHSA_A, PYSEC_A = "GHSA-aaaa-bbbb-cccc", "PYSEC-2026-101"
GHSA_B = "GHSA-dddd-eeee-ffff"


def _advisory(id_: str, aliases=(), fixed_in=(), withdrawn=None) -> dict:
    return {"id": id_, "aliases": list(aliases), "fixed_in": list(fixed_in), "withdrawn": withdrawn,
            "summary": "test advisory", "details": "", "link": "https://osv.dev/x", "source": "osv"}


def _project(latest: str, *advisories: dict) -> dict:
    return {"info": {"name": "x", "version": latest}, "releases": {}, "vulnerabilities": list(advisories)}


PROJECTS: dict[str, tuple[int, dict | None]] = {
    "atlatest": (200, _project("3.0.0", _advisory(GHSA_A, [PYSEC_A], ["3.0.1"]))),
    "older": (200, _project("1.4.0", _advisory(GHSA_B, [], ["1.4.1"]))),
    "backported": (200, _project("1.3.0", _advisory("GHSA-gggg-hhhh-iiii", [], ["1.2.4", "1.3.1"]))),
    "withdrawn": (200, _project("2.0.0", _advisory("GHSA-jjjj-kkkk-llll", withdrawn="2026-01-02T00:00:00Z"))),
    "clean": (200, _project("5.1.0")),
    "broken": (500, None),
}
LOCK = ["atlatest==3.0.0", "older==1.2.0", "backported==1.2.5", "withdrawn==2.0.0", "clean==5.1.0",
        "missing==1.0.0", "broken==0.1.0", "slow==1.0.0"]


class _Index(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        name = self.path.strip("/").split("/")[-2]  # /pypi/<name>/json
        _Index.hits[name] = _Index.hits.get(name, 0) + 1
        if name == "slow":
            time.sleep(1.0)
        status, body = PROJECTS.get(name, (404, None))
        if name == "flaky" and _Index.hits[name] == 1:
            status, body = 503, None
        payload = json.dumps(body if body is not None else {"message": "Not Found"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def index() -> Iterator[str]:
    _Index.hits = {}
    with serving(_Index) as url:
        yield f"{url}/pypi"


def _files(tmp_path: Path, lock: list[str], known: str = "") -> tuple[str, str]:
    (tmp_path / "requirements.lock").write_text("# locked\n" + "\n".join(lock) + "\n")
    (tmp_path / "known.md").write_text(known)
    return str(tmp_path / "requirements.lock"), str(tmp_path / "known.md")


def test_an_advisory_on_the_locked_release_when_it_is_the_latest_applies_exactly():
    assert applies("3.0.0", "3.0.0", _advisory(GHSA_A, fixed_in=["3.0.1"])) == "exact"


def test_an_advisory_for_a_newer_latest_is_assumed_to_affect_an_older_locked_version():
    assert applies("1.2.0", "1.4.0", _advisory(GHSA_B, fixed_in=["1.4.1"])) == "assumed"
    assert applies("1.2.0", "1.4.0", _advisory(GHSA_B)) == "assumed"


def test_a_fix_on_our_release_line_at_or_below_our_version_clears_the_advisory():
    advisory = _advisory("GHSA-gggg-hhhh-iiii", fixed_in=["1.2.4", "1.3.1"])

    assert applies("1.2.5", "1.3.0", advisory) is None
    assert applies("1.2.4", "1.3.0", advisory) is None
    assert applies("1.2.3", "1.3.0", advisory) == "assumed", "below the backported fix"
    assert applies("1.1.9", "1.3.0", _advisory("X", fixed_in=["1.0.2"])) == "assumed", "a fix on another line"


def test_older_locked_versions_are_counted_as_not_fully_covered_even_without_findings():
    lookups = [Lookup(Locked("a", "1.0.0"), "1.0.0"), Lookup(Locked("b", "1.0.0"), "2.0.0"),
               Lookup(Locked("c", "1.0.0"), error="HTTP 404")]

    report = assess(lookups)

    assert report.audited == ["a", "b"] and report.findings == []
    assert report.not_fully_covered == ["b"] and report.not_looked_up == [("c", "HTTP 404")]


def test_gate_fails_on_unjustified_findings_and_counts_everything_it_could_not_cover(index, tmp_path, capsys):
    lock, known = _files(tmp_path, LOCK)

    code = main(["--lock", lock, "--known", known, "--index", index, "--timeout", "0.3"])

    out = capsys.readouterr().out
    assert code == 1
    assert f"NEW atlatest==3.0.0 {GHSA_A} {PYSEC_A} (locked is the latest release)" in out
    assert f"NEW older==1.2.0 {GHSA_B}" in out and "assumed: advisory is for the latest 1.4.0" in out
    assert "backported" not in out.split("not fully covered (locked")[0], "the backport fix clears it"
    assert "GHSA-jjjj" not in out, "withdrawn advisories are ignored"
    assert ("audited 5 of 8 locked packages against PyPI advisories; 2 finding(s), 0 justified, 2 not; "
            "2 not fully covered") in out
    assert "3 could not be looked up" in out
    assert "not fully covered (locked -> latest): older 1.2.0 -> 1.4.0, backported 1.2.5 -> 1.3.0" in out
    assert "not looked up missing: HTTP 404" in out and "not looked up broken: HTTP 500" in out
    assert "not looked up slow: ReadTimeout" in out


def test_gate_passes_when_every_finding_is_justified_by_id_or_alias(index, tmp_path, capsys):
    lock, known = _files(tmp_path, ["atlatest==3.0.0", "older==1.2.0", "clean==5.1.0"],
                         f"| atlatest | 3.0.0 | {PYSEC_A} | not reachable |\n| older | 1.2.0 | {GHSA_B} | x |\n")

    code = main(["--lock", lock, "--known", known, "--index", index])

    out = capsys.readouterr().out
    assert code == 0 and "known atlatest==3.0.0" in out and "known older==1.2.0" in out
    assert "2 finding(s), 2 justified, 0 not" in out and "audit-deps: OK" in out


def test_a_server_error_is_retried_once(index, tmp_path, capsys):
    PROJECTS["flaky"] = (200, _project("1.0.0"))
    try:
        lock, known = _files(tmp_path, ["flaky==1.0.0"])
        code = main(["--lock", lock, "--known", known, "--index", index])
    finally:
        del PROJECTS["flaky"]

    assert code == 0 and _Index.hits["flaky"] == 2
    assert "audited 1 of 1" in capsys.readouterr().out


def test_strict_gate_exits_3_when_a_package_could_not_be_looked_up(index, tmp_path):
    lock, known = _files(tmp_path, ["clean==5.1.0", "missing==1.0.0"])

    assert main(["--lock", lock, "--known", known, "--index", index]) == 0
    assert main(["--lock", lock, "--known", known, "--index", index, "--strict"]) == 3


def test_an_unreachable_index_is_reported_as_not_audited(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/pypi"
    lock, known = _files(tmp_path, ["clean==5.1.0"])

    assert main(["--lock", lock, "--known", known, "--index", dead, "--timeout", "0.5"]) == 0
    assert "NOT AUDITED - none of 1 packages could be looked up" in capsys.readouterr().out
    assert main(["--lock", lock, "--known", known, "--index", dead, "--timeout", "0.5", "--strict"]) == 3
