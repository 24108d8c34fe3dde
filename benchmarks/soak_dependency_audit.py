"""Gate on known vulnerabilities in the locked set (requirements.lock), from PyPI's own advisory data.

For each locked package the project JSON (``<index>/<name>/json``) is fetched, concurrently and with a
timeout. Its ``vulnerabilities`` list describes the project's *latest* release only (the versioned
endpoint, which would describe ours, is not reachable from every machine), so:

- locked == latest: every advisory listed applies to us exactly;
- locked older than latest: an advisory that still affects the latest release is assumed to affect ours
  too (it may have been introduced after our version; nothing here can tell), unless its ``fixed_in``
  names a version on our own release line (same major.minor) at or below ours; and an advisory *fixed*
  between our version and the latest one is not listed at all, so such a package is counted as **not fully
  covered** rather than passed;
- withdrawn advisories are ignored.

Exit 1 on a finding whose id (or alias) is not justified in reliability/known-vulnerabilities.md; 0
otherwise. Packages that could not be looked up are counted; when none could, the run says NOT AUDITED
(exit 0, or 3 with ``--strict``); with ``--strict`` any package not looked up also exits 3.

Usage: python benchmarks/soak_dependency_audit.py [--strict] [--lock requirements.lock] [--index URL]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ROOT / "reliability" / "known-vulnerabilities.md"
PYPI_JSON = "https://pypi.org/pypi"
UNREACHABLE_EXIT = 3


@dataclass(frozen=True)
class Locked:
    name: str
    version: str


@dataclass(frozen=True)
class Lookup:
    """One package's project JSON as far as the audit needs it; ``error`` when it could not be fetched."""

    package: Locked
    latest: str | None = None
    advisories: tuple[dict[str, Any], ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Finding:
    name: str
    version: str
    id: str
    aliases: tuple[str, ...]
    basis: str  # exact (locked is the latest release) | assumed (locked is older; advisory is for the latest)
    fixed_in: tuple[str, ...]

    def ids(self) -> set[str]:
        return {self.id, *self.aliases}


@dataclass(frozen=True)
class AuditReport:
    total: int
    audited: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    not_fully_covered: list[str] = field(default_factory=list)  # locked != latest: advisories only for latest
    not_looked_up: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def read_lock(path: Path) -> list[Locked]:
    """``name==version`` lines (comments, options, hashes and environment markers ignored)."""
    packages = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip().rstrip("\\").strip()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s]+)", line)
        if match:
            packages.append(Locked(match.group(1), match.group(2)))
    return packages


def look_up(client: httpx.Client, index: str, package: Locked, attempts: int = 2) -> Lookup:
    """The project JSON of ``package`` (``attempts`` tries on a timeout or a 5xx)."""
    error = "not tried"
    for _ in range(attempts):
        try:
            response = client.get(f"{index.rstrip('/')}/{package.name}/json")
        except httpx.HTTPError as exc:
            error = f"{exc.__class__.__name__}: {exc}"
            continue
        if response.status_code >= 500:
            error = f"HTTP {response.status_code}"
            continue
        if response.status_code != 200:
            return Lookup(package, error=f"HTTP {response.status_code}")
        try:
            data = response.json()
            latest = str(data["info"]["version"])
        except (ValueError, KeyError, TypeError) as exc:
            return Lookup(package, error=f"unreadable project JSON ({exc.__class__.__name__})")
        advisories = tuple(v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn"))
        return Lookup(package, latest, advisories)
    return Lookup(package, error=error)


def look_up_all(packages: Sequence[Locked], index: str = PYPI_JSON, *, timeout_s: float = 10.0,
                workers: int = 16) -> list[Lookup]:
    """Every package's lookup, ``workers`` at a time, each request bounded by ``timeout_s`` seconds."""
    headers = {"User-Agent": "quantpilot-audit-deps", "Accept": "application/json"}
    with (httpx.Client(timeout=timeout_s, follow_redirects=True, headers=headers) as client,
          ThreadPoolExecutor(max_workers=workers) as pool):
        return list(pool.map(lambda p: look_up(client, index, p), packages))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def applies(locked: str, latest: str, advisory: dict[str, Any]) -> str | None:
    """How an advisory listed for ``latest`` bears on ``locked``: ``exact``, ``assumed`` or None (our release
    line has the fix)."""
    ours, newest = _version(locked), _version(latest)
    if ours is not None and ours == newest:
        return "exact"
    if ours is not None:
        for fixed in advisory.get("fixed_in") or []:
            fix = _version(str(fixed))
            if fix is not None and fix <= ours and fix.release[:2] == ours.release[:2]:
                return None
    return "assumed"


def assess(lookups: Sequence[Lookup]) -> AuditReport:
    report = AuditReport(total=len(lookups))
    for lookup in lookups:
        name, version = lookup.package.name, lookup.package.version
        if lookup.error is not None or lookup.latest is None:
            report.not_looked_up.append((name, lookup.error or "no latest version"))
            continue
        report.audited.append(name)
        ours, newest = _version(version), _version(lookup.latest)
        if ours is None or newest is None or ours != newest:
            report.not_fully_covered.append(name)
        for advisory in lookup.advisories:
            basis = applies(version, lookup.latest, advisory)
            if basis is not None:
                report.findings.append(Finding(name, version, str(advisory.get("id")),
                                               tuple(advisory.get("aliases") or ()), basis,
                                               tuple(str(f) for f in advisory.get("fixed_in") or ())))
    return report


def known_ids(path: Path = KNOWN) -> set[str]:
    """Advisory ids (GHSA-…, PYSEC-…, CVE-…) listed in the justification file."""
    text = path.read_text() if path.exists() else ""
    return set(re.findall(r"\b(?:GHSA-[\w-]{14}|PYSEC-\d{4}-\d+|CVE-\d{4}-\d+)\b", text))


def render(report: AuditReport, justified: set[str], versions: dict[str, tuple[str, str]]) -> tuple[list[str], int]:
    """The lines to print and how many findings are not justified; ``versions``: name -> (locked, latest)."""
    lines, new = [], 0
    for f in report.findings:
        tag = "known" if f.ids() & justified else "NEW"
        new += tag == "NEW"
        why = "locked is the latest release" if f.basis == "exact" else \
            f"assumed: advisory is for the latest {versions.get(f.name, ('?', '?'))[1]}, ours is older"
        fixed = f" fixed_in={','.join(f.fixed_in)}" if f.fixed_in else ""
        lines.append(f"audit-deps: {tag} {f.name}=={f.version} {f.id} {' '.join(f.aliases)} ({why}){fixed}")
    if report.not_fully_covered:
        lines.append("audit-deps: not fully covered (locked -> latest): " + ", ".join(
            f"{name} {versions.get(name, ('?', '?'))[0]} -> {versions.get(name, ('?', '?'))[1]}"
            for name in report.not_fully_covered))
    for name, why in report.not_looked_up:
        lines.append(f"audit-deps: not looked up {name}: {why}")
    lines.append(
        f"audit-deps: audited {len(report.audited)} of {report.total} locked packages against PyPI advisories; "
        f"{len(report.findings)} finding(s), {len(report.findings) - new} justified, {new} not; "
        f"{len(report.not_fully_covered)} not fully covered (locked older than the latest release: PyPI lists "
        f"advisories for the latest only, so one fixed in between is invisible); "
        f"{len(report.not_looked_up)} could not be looked up")
    return lines, new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 3 when any package could not be looked up")
    parser.add_argument("--lock", default=str(ROOT / "requirements.lock"))
    parser.add_argument("--index", default=PYPI_JSON, help="base of <index>/<name>/json (default: PyPI)")
    parser.add_argument("--known", default=str(KNOWN), help="justification file")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = parser.parse_args(argv)
    packages = read_lock(Path(args.lock))
    lookups = look_up_all(packages, args.index, timeout_s=args.timeout)
    report = assess(lookups)
    versions = {x.package.name: (x.package.version, x.latest or "?") for x in lookups}
    lines, new = render(report, known_ids(Path(args.known)), versions)
    print("\n".join(lines))
    if new:
        print(f"audit-deps: FAIL - {new} finding(s) not justified in {args.known}")
        return 1
    if not report.audited:
        print(f"audit-deps: NOT AUDITED - none of {report.total} packages could be looked up at {args.index}")
        return UNREACHABLE_EXIT if args.strict else 0
    if report.not_looked_up and args.strict:
        return UNREACHABLE_EXIT
    print("audit-deps: OK - no unjustified finding")
    return 0


if __name__ == "__main__":
    sys.exit(main())
