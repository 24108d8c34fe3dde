"""Gate on ``pip-audit`` over the locked set (requirements.lock): exit 1 on a finding not justified in
reliability/known-vulnerabilities.md, 0 when clean; when the advisory service cannot be reached (pip-audit
errors out, or skips packages as "not found"), say so plainly and exit 0, or 3 with ``--strict`` (CI where
the service is known to be reachable).

Usage: python benchmarks/soak_dependency_audit.py [--strict] [--lock requirements.lock]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ROOT / "reliability" / "known-vulnerabilities.md"
UNREACHABLE_EXIT = 3


def known_ids(path: Path = KNOWN) -> set[str]:
    """Advisory ids (GHSA-…, PYSEC-…, CVE-…) listed in the justification file's table."""
    text = path.read_text() if path.exists() else ""
    return set(re.findall(r"\b(?:GHSA-[\w-]{14}|PYSEC-\d{4}-\d+|CVE-\d{4}-\d+)\b", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail (exit 3) when advisories are unreachable")
    parser.add_argument("--lock", default=str(ROOT / "requirements.lock"))
    args = parser.parse_args(argv)
    not_audited = UNREACHABLE_EXIT if args.strict else 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        proc = subprocess.run([sys.executable, "-m", "pip_audit", "-r", args.lock, "--no-deps", "--disable-pip",
                               "--progress-spinner", "off", "-f", "json", "-o", str(out)],
                              capture_output=True, text=True, timeout=900)
        if not out.exists() or not out.read_text().strip():
            print(f"audit-deps: NOT AUDITED - pip-audit could not run or reach its advisory service "
                  f"(exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
            return not_audited
        report = json.loads(out.read_text())
    deps = report.get("dependencies", [])
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    findings = [(d["name"], d["version"], v["id"], v.get("aliases", [])) for d in deps for v in d.get("vulns", [])]
    allowed = known_ids()
    new = [f for f in findings if not ({f[2], *f[3]} & allowed)]
    for name, version, vid, aliases in findings:
        tag = "known" if (name, version, vid, aliases) not in new else "NEW"
        print(f"audit-deps: {tag} {name}=={version} {vid} {' '.join(aliases)}")
    if new:
        print(f"audit-deps: FAIL - {len(new)} finding(s) not justified in {KNOWN.relative_to(ROOT)}")
        return 1
    if skipped:
        print(f"audit-deps: NOT AUDITED - {len(skipped)} of {len(deps)} locked packages could not be looked up "
              f"(advisory service unreachable from here?), e.g. {', '.join(skipped[:5])}")
        return not_audited
    print(f"audit-deps: OK - {len(deps)} locked packages, {len(findings)} known finding(s), none new")
    return 0


if __name__ == "__main__":
    sys.exit(main())
