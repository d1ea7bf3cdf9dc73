"""The deployment files as data: docker-compose.yml, the parsed Dockerfiles, the CloudFormation templates."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cfnlint.decode import decode
from dockerfile_parse import DockerfileParser

from scripts.stack import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKER_DIR = ROOT / "deploy" / "docker"
AWS_DIR = ROOT / "deploy" / "aws"
ECS_TEMPLATE = AWS_DIR / "movierec.yaml"
SERVICES = ("matcher", "scorer", "profiles", "gateway")
IMAGES = (*SERVICES, "trainer")
# In docker-compose and as images, but not in the ECS template (none today; the tests keep the branch for one).
NOT_ON_ECS: tuple[str, ...] = ()
ECS_SERVICES = tuple(s for s in SERVICES if s not in NOT_ON_ECS)


@dataclass
class Stage:
    """One FROM ... stage of a Dockerfile: its base image, name and instructions in order."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, value)

    def values(self, instruction: str) -> list[str]:
        return [v for i, v in self.instructions if i == instruction]


@dataclass
class Dockerfile:
    path: Path
    parser: DockerfileParser
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    @property
    def build(self) -> Stage:
        """The stage named "build": the Python one that installs the lock and copies the code."""
        (stage,) = [s for s in self.stages if s.name == "build"]
        return stage

    def exec_form(self, instruction: str) -> list[str]:
        """The final stage's last ENTRYPOINT/CMD as a list (exec form is JSON); [] when there is none."""
        values = self.final.values(instruction)
        return json.loads(values[-1]) if values else []

    def healthcheck_cmd(self) -> list[str] | None:
        """["CMD", ...] of the final stage's HEALTHCHECK, or None for HEALTHCHECK NONE."""
        value = self.final.values("HEALTHCHECK")[-1]
        if value.strip() == "NONE":
            return None
        return ["CMD", *json.loads(value[value.index("CMD") + 3:].strip())]

    def healthcheck_options(self) -> dict[str, str]:
        value = self.final.values("HEALTHCHECK")[-1]
        return dict(opt[2:].split("=", 1) for opt in value.split("CMD")[0].split() if opt.startswith("--"))


def dockerfile(image: str) -> Dockerfile:
    """deploy/docker/<image>.Dockerfile parsed by dockerfile-parse and split into stages."""
    path = DOCKER_DIR / f"{image}.Dockerfile"
    parser = DockerfileParser(path=str(path), env_replace=False)
    stages: list[Stage] = []
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"].strip()
        if instruction == "COMMENT":
            continue
        if instruction == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append((instruction, value))
    return Dockerfile(path, parser, stages)


def final_env(df: Dockerfile) -> dict[str, str]:
    """ENV of the final stage (the parser's view of the last stage)."""
    return dict(df.parser.envs)


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_env(service: str) -> dict[str, str]:
    env = compose()["services"][service].get("environment", {})
    return {k: str(v) for k, v in env.items()}


def ecs_template() -> dict[str, Any]:
    template, errors = decode(str(ECS_TEMPLATE))
    assert not errors, errors
    return template


def ecs_container(template: dict[str, Any], service: str) -> dict[str, Any]:
    """The one container definition of <service>'s ECS task definition."""
    task = template["Resources"][f"{service.capitalize()}TaskDefinition"]["Properties"]
    (container,) = task["ContainerDefinitions"]
    return container


def ecs_env(template: dict[str, Any], service: str) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in ecs_container(template, service)["Environment"]}
