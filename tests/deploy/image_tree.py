"""What an image would hold, rebuilt without Docker: its /app from the COPY lines through
.dockerignore, and the pins of the lock files it installs."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from scripts.stack import ROOT
from tests.deploy.deploy_files import dockerfile

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(lock: str) -> dict[str, str]:
    """name -> version of deploy/locks/<lock>.txt."""
    text = (ROOT / "deploy" / "locks" / f"{lock}.txt").read_text()
    return {_canonical(n): v for n, v in _PIN.findall(text)}


def requirement_pins(path: Path) -> dict[str, str]:
    """name -> version of the `name==version` lines of one requirements file (not its -r includes)."""
    return {_canonical(n): v for n, v in _PIN.findall(path.read_text())}


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over slash-separated relative paths (Go filepath.Match plus **)."""
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}$")


def dockerignore_excludes(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a directory covers its contents."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(p) for p in prefixes):
            excluded = not negate
    return excluded


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), _pattern_regex(line.lstrip("!"))))
    return rules


def assemble_app(image: str, into: Path) -> Path:
    """Copies what the build stage's `COPY src dest` lines (relative to WORKDIR /app) would put in /app."""
    app = into / "app"
    app.mkdir()
    rules = dockerignore_rules()
    build = dockerfile(image).build
    workdir = None
    for instruction, value in build.instructions:
        if instruction == "WORKDIR":
            workdir = value
        if instruction != "COPY" or workdir != "/app" or value.startswith("--from="):
            continue  # files from another stage (the gateway's npm stage) are not in the repository
        src, dest = value.split()
        source = ROOT / src
        assert source.exists(), f"{image}.Dockerfile copies {src}, which does not exist"
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        copied = 0
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if dockerignore_excludes(relative, rules):
                continue
            target = app / dest / file.relative_to(source) if source.is_dir() else app / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
            copied += 1
        assert copied, f"{image}.Dockerfile: COPY {src} sends nothing (.dockerignore excludes it all)"
    assert workdir == "/app", f"{image}.Dockerfile: the build stage should COPY the code into WORKDIR /app"
    return app
