"""Dependency audit: pip-audit on every pinned package, one clear report, an exit code CI can use.

    python -m scripts.audit                       # requirements.txt (with its -r files) + the image locks
    python -m scripts.audit -r some-requirements.txt --service osv --osv-url http://127.0.0.1:8080/v1/query

Outcomes and exit codes:
  0  audited, no known vulnerability
  1  a known vulnerability: package, version, advisory ids and the fixed versions are printed
  0  the audit did not run (advisory service unreachable, or it knows none of the packages): the
     report says so in capitals and names the reason; with --require (or MOVIEREC_AUDIT_REQUIRED=1)
     this exits 3 instead, for a pipeline whose network is known to work
  2  bad arguments, a requirements file that cannot be read, or pip-audit refusing its command line

Only pinned `name==version` lines are audited (what the images and .venv install); pip-audit runs with
--no-deps so nothing is resolved or downloaded, and one run never holds two versions of a package
(the serving and trainer locks may pin different ones), so a second run takes the rest.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ("requirements.txt", "deploy/locks/serving.txt", "deploy/locks/trainer.txt")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
OK, VULNERABLE, USAGE, NOT_RUN_REQUIRED = 0, 1, 2, 3


def canonical(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path, seen: set[Path] | None = None) -> dict[str, set[str]]:
    """{canonical name: {versions}} of the `name==version` lines of a requirements file and its -r files."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen:
        return {}
    seen.add(path)
    pins: dict[str, set[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line.startswith(("-r ", "--requirement ")):
            for name, versions in read_pins(path.parent / line.split(None, 1)[1], seen).items():
                pins.setdefault(name, set()).update(versions)
        elif match := _PIN.match(line):
            pins.setdefault(canonical(match.group(1)), set()).add(match.group(2))
    return pins


def batches(pins: dict[str, set[str]]) -> list[list[str]]:
    """Requirement lines split so that no batch names a package twice (pip-audit refuses duplicates)."""
    out: list[list[str]] = []
    for name in sorted(pins):
        for i, version in enumerate(sorted(pins[name])):
            while len(out) <= i:
                out.append([])
            out[i].append(f"{name}=={version}")
    return out


@dataclass
class Finding:
    package: str
    version: str
    ids: list[str]  # the advisory id first, then its aliases (CVE, GHSA, PYSEC)
    fixed: list[str]
    description: str


@dataclass
class Report:
    packages: int = 0  # package versions asked about
    audited: int = 0  # of those, how many the service answered for
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # "name==version" -> why
    failure: str = ""  # why a pip-audit run produced no report (service unreachable, crash)

    @property
    def ran(self) -> bool:
        return not self.failure and self.audited > 0


def take(report: Report, pip_audit_json: dict) -> None:
    """Adds one pip-audit JSON report (`-f json`) to `report`."""
    for dep in pip_audit_json.get("dependencies", []):
        label = f"{dep['name']}=={dep.get('version', '?')}"
        report.packages += 1
        if "skip_reason" in dep:
            report.skipped[label] = dep["skip_reason"]
            continue
        report.audited += 1
        for vuln in dep.get("vulns", []):
            report.findings.append(Finding(dep["name"], dep["version"], [vuln["id"], *vuln.get("aliases", [])],
                                           vuln.get("fix_versions", []), vuln.get("description") or ""))


class AuditCommandError(Exception):
    """pip-audit refused its command line (exit 2): a bug of this script, never "the network is down"."""


def run_pip_audit(lines: list[str], service: str, osv_url: str | None, timeout: int) -> tuple[dict | None, str]:
    """(pip-audit's JSON report or None, the reason when None) for one batch of pinned requirements."""
    with tempfile.TemporaryDirectory(prefix="audit-") as tmp:
        requirements, output = Path(tmp) / "pins.txt", Path(tmp) / "report.json"
        requirements.write_text("\n".join(lines) + "\n")
        command = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "-r", str(requirements),
                   "-f", "json", "-o", str(output), "--progress-spinner", "off", "--aliases", "on",
                   "--timeout", str(timeout), "-s", service]
        if osv_url:
            command += ["--osv-url", osv_url]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        # pip-audit exits 1 both for "found vulnerabilities" (report written) and for a failed lookup
        # (traceback, no report): the report file tells them apart.
        if output.exists():
            try:
                return json.loads(output.read_text()), ""
            except json.JSONDecodeError:
                pass
        lines_out = [ln for ln in done.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING:")]
        if done.returncode == 2:  # argparse's exit code
            raise AuditCommandError(lines_out[-1] if lines_out else "pip-audit exited 2")
        return None, (lines_out[-1] if lines_out else f"pip-audit exited {done.returncode} without a report")[:400]


def audit(pins: dict[str, set[str]], service: str, osv_url: str | None, timeout: int) -> Report:
    report = Report()
    for batch in batches(pins):
        result, why = run_pip_audit(batch, service, osv_url, timeout)
        if result is None:
            report.failure = why
            report.packages += len(batch)
            continue
        take(report, result)
    return report


def render(report: Report, sources: list[str], service: str, seconds: float) -> str:
    head = f"dependency audit: {report.packages} pinned package versions from {', '.join(sources)}; " \
           f"advisory service: {service}; {seconds:.1f} s"
    lines = [head]
    if report.findings:
        lines.append(f"FAILED: {len(report.findings)} known vulnerabilit{'y' if len(report.findings) == 1 else 'ies'} "
                     f"in {len({(f.package, f.version) for f in report.findings})} package(s)")
        for f in sorted(report.findings, key=lambda f: (f.package, f.ids[0])):
            fixed = ", ".join(f.fixed) or "no fixed version yet"
            lines.append(f"  {f.package}=={f.version}  {f.ids[0]}"
                         f"{' (' + ', '.join(f.ids[1:]) + ')' if len(f.ids) > 1 else ''}  fixed in: {fixed}")
            if f.description:
                lines.append(f"      {f.description[:160]}")
        lines.append("  upgrade the pin in requirements-*.txt and regenerate the locks (bash deploy/locks/compile.sh)")
    if not report.ran:
        reason = report.failure or (next(iter(report.skipped.values())) if report.skipped else "nothing to audit")
        lines.append(f"AUDIT DID NOT RUN: no package could be checked against the advisory service. Reason: {reason}")
        if report.skipped and not report.failure:
            lines.append("  (every lookup was refused: the advisory service is unreachable or does not serve "
                         "per-version data here, e.g. a PyPI mirror without /pypi/<name>/<version>/json)")
    elif report.skipped or report.failure:
        lines.append(f"INCOMPLETE: {report.audited} of {report.packages} checked; not checked:")
        lines += [f"  {label}: {why}" for label, why in sorted(report.skipped.items())]
        if report.failure:
            lines.append(f"  a batch failed: {report.failure}")
    elif not report.findings:
        lines.append(f"OK: {report.audited} package versions checked, no known vulnerabilities")
    return "\n".join(lines)


def exit_code(report: Report, require: bool) -> int:
    if report.findings:
        return VULNERABLE
    if require and (not report.ran or report.skipped or report.failure):
        return NOT_RUN_REQUIRED
    return OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.audit", description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--requirement", action="append", dest="files",
                        help=f"requirements file (repeatable; default: {', '.join(DEFAULT_FILES)})")
    parser.add_argument("--service", default="pypi", choices=("pypi", "osv"),
                        help="advisory service pip-audit asks (default: pypi, the PyPI JSON API)")
    parser.add_argument("--osv-url", default=None, help="OSV query URL instead of api.osv.dev (with --service osv)")
    parser.add_argument("--timeout", type=int, default=15, help="socket timeout of each lookup, seconds")
    parser.add_argument("--require", action="store_true", default=os.environ.get("MOVIEREC_AUDIT_REQUIRED") == "1",
                        help="exit 3 when the audit could not check every package (default: report and exit 0)")
    args = parser.parse_args(argv)
    files = args.files or list(DEFAULT_FILES)
    pins: dict[str, set[str]] = {}
    try:
        for name in files:
            for package, versions in read_pins(ROOT / name).items():
                pins.setdefault(package, set()).update(versions)
    except OSError as e:
        print(f"dependency audit: cannot read {e.filename}: {e.strerror}", file=sys.stderr)
        return USAGE
    started = time.monotonic()
    try:
        report = audit(pins, args.service, args.osv_url, args.timeout)
    except AuditCommandError as e:
        print(f"dependency audit: pip-audit refused the command: {e}", file=sys.stderr)
        return USAGE
    print(render(report, files, args.service, time.monotonic() - started), flush=True)
    return exit_code(report, args.require)


if __name__ == "__main__":
    sys.exit(main())
