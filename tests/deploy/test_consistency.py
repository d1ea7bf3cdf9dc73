"""docker-compose.yml, the Dockerfiles, the ECS template and the services' settings classes agree:
images, ports, environment variable names (and values that the settings accept), health checks."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stack import Stack
from services.common.settings import load_settings
from services.gateway.settings import GatewaySettings
from services.matcher.settings import MatcherSettings
from services.profiles.settings import ProfilesSettings
from services.scorer.settings import ScorerSettings
from tests.deploy.deploy_files import (
    COMPOSE_FILE,
    ECS_SERVICES,
    NOT_ON_ECS,
    SERVICES,
    compose,
    compose_env,
    dockerfile,
    ecs_container,
    ecs_env,
    ecs_template,
    final_env,
)

SETTINGS = {"matcher": MatcherSettings, "scorer": ScorerSettings, "profiles": ProfilesSettings,
            "gateway": GatewaySettings}
# What the gateway sets in compose for a service the ECS template does not have yet (deploy_files.NOT_ON_ECS).
ECS_PENDING: set[str] = set()
# Read outside the settings classes: the s3:// artifact cache (services/common/artifact_source.py).
EXTRA_NAMES = {"MOVIEREC_ARTIFACT_CACHE"}
IMAGE_ONLY = {"PATH", "HOME", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
# Fn::Sub placeholders of the ECS template with values of the right shape.
SUB_EXAMPLES = {"${ArtifactBucket}": "movierec-artifacts", "${ArtifactPrefix}": "models",
                "${Redis.PrimaryEndPoint.Address}": "redis.example.internal", "${Redis.PrimaryEndPoint.Port}": "6379",
                "${Database.Endpoint.Address}": "db.example.internal", "${Database.Endpoint.Port}": "5432"}


def settings_names(service: str) -> set[str]:
    """The environment variables the service reads, derived from its pydantic settings class."""
    cls = SETTINGS[service]
    prefix = cls.model_config["env_prefix"]
    return {prefix + name.upper() for name in cls.model_fields}


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def ecs_value(value) -> str:
    if isinstance(value, dict):
        text = value["Fn::Sub"]
        for placeholder, example in SUB_EXAMPLES.items():
            text = text.replace(placeholder, example)
        assert "${" not in text, f"no example for a placeholder in {value}"
        return text
    return str(value)


def envs(service: str) -> dict[str, dict[str, str]]:
    image = {k: v for k, v in final_env(dockerfile(service)).items() if k not in IMAGE_ONLY}
    found = {"compose": compose_env(service), "Dockerfile ENV": image}
    if service not in NOT_ON_ECS:
        found["ECS"] = {k: ecs_value(v) for k, v in ecs_env(ecs_template(), service).items()}
    return found


def test_names_are_derived_from_the_real_settings():
    assert "MATCHER_ARTIFACT_DIR" in settings_names("matcher")
    assert "GATEWAY_REDIS_URL" in settings_names("gateway") and "GATEWAY_ARTIFACT_DIR" not in settings_names("gateway")


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_set_is_one_the_service_reads(service):
    known = settings_names(service) | EXTRA_NAMES
    for where, env in envs(service).items():
        unknown = set(env) - known
        assert not unknown, f"{where} sets {sorted(unknown)} for {service}, which reads {sorted(known)}"


@pytest.mark.parametrize("service", SERVICES)
def test_settings_accept_every_configuration(service, monkeypatch):
    for env in envs(service).values():
        for name in settings_names(service):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        load_settings(SETTINGS[service])  # raises SettingsError naming the bad variable


@pytest.mark.parametrize("service", ECS_SERVICES)
def test_compose_and_ecs_set_the_same_names(service):
    e = envs(service)
    assert set(e["compose"]) - ECS_PENDING == set(e["ECS"]), f"{service}: compose and ECS configure different settings"


@pytest.mark.parametrize("service", SERVICES)
def test_images_match(service):
    c = compose()["services"][service]
    assert c["image"] == f"movierec-{service}"
    assert c["build"] == {"context": ".", "dockerfile": f"deploy/docker/{service}.Dockerfile"}
    if service in NOT_ON_ECS:
        return
    image = ecs_container(ecs_template(), service)["Image"]["Fn::Sub"]
    assert image == f"${{ImageRepository}}/movierec-{service}:${{ImageTag}}"


@pytest.mark.parametrize("service", SERVICES)
def test_ports_agree(service):
    e = envs(service)
    if service == "gateway":
        ports = {int(env["GATEWAY_PORT"]) for env in e.values() if "GATEWAY_PORT" in env}
        assert compose()["services"]["gateway"]["ports"] == ["8000:8000"]
    else:
        ports = {port_of(env[f"{service.upper()}_ADDRESS"]) for env in e.values()}
    assert len(ports) == 1, f"{service}: compose, image and ECS bind different ports {ports}"
    port = ports.pop()
    assert dockerfile(service).final.values("EXPOSE") == [str(port)]
    if service in NOT_ON_ECS:
        assert e["compose"][f"{service.upper()}_ADDRESS"].startswith("0.0.0.0:")
        assert compose_env("gateway")[f"GATEWAY_{service.upper()}_ADDRESS"] == f"{service}:{port}"
        return
    (mapping,) = ecs_container(ecs_template(), service)["PortMappings"]
    assert mapping["ContainerPort"] == port
    if service != "gateway":  # the gateway reaches it by the same name and port everywhere
        for where in ("compose", "ECS"):
            assert e[where][f"{service.upper()}_ADDRESS"].startswith("0.0.0.0:")
            assert envs("gateway")[where][f"GATEWAY_{service.upper()}_ADDRESS"] == f"{service}:{port}"
        svc = ecs_template()["Resources"][f"{service.capitalize()}Service"]["Properties"]
        (sc,) = svc["ServiceConnectConfiguration"]["Services"]
        assert sc["PortName"] == mapping["Name"] and sc["ClientAliases"] == [{"DnsName": service, "Port": port}]
        assert mapping["AppProtocol"] == "grpc"


@pytest.mark.parametrize("service", SERVICES)
def test_health_checks_are_one_command(service):
    image = dockerfile(service).healthcheck_cmd()
    in_compose = compose()["services"][service]["healthcheck"]["test"]
    assert image == in_compose
    if service not in NOT_ON_ECS:
        assert in_compose == ecs_container(ecs_template(), service)["HealthCheck"]["Command"]


def test_compose_starts_in_dependency_order_on_health():
    services = compose()["services"]
    assert services["gateway"]["depends_on"] == {name: {"condition": "service_healthy"}
                                                 for name in ("redis", "matcher", "scorer", "profiles")}
    assert services["profiles"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("matcher", "scorer"):
        assert services[name]["depends_on"] == {"trainer": {"condition": "service_completed_successfully"}}
    for name, svc in services.items():
        for dependency, rule in svc.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s health check"


def test_only_the_gateway_is_published_and_backends_are_internal():
    c = compose()
    assert c["networks"]["internal"] == {"internal": True}
    for name, svc in c["services"].items():
        assert ("ports" in svc) == (name == "gateway"), f"{name} publishes ports"
        assert svc.get("read_only") is True and "/tmp" in svc.get("tmpfs", [])
        if name in ("redis", "matcher", "scorer", "profiles", "postgres"):
            assert svc["networks"] == ["internal"]


def test_artifact_volume_is_where_trainer_writes_and_services_read():
    services = compose()["services"]
    out = services["trainer"]["command"][services["trainer"]["command"].index("--out") + 1]
    assert f"artifacts:{out}" in services["trainer"]["volumes"]
    for name in ("matcher", "scorer"):
        assert services[name]["environment"][f"{name.upper()}_ARTIFACT_DIR"] == out
        assert f"artifacts:{out}:ro" in services[name]["volumes"]
    assert compose_env("gateway")["GATEWAY_REDIS_URL"].startswith("redis://redis:")


def test_profiles_finds_postgres_with_its_user_password_and_database():
    services = compose()["services"]
    pg = services["postgres"]["environment"]
    url = compose_env("profiles")["PROFILES_DATABASE_URL"]
    assert url == f"postgresql://{pg['POSTGRES_USER']}@postgres:5432/{pg['POSTGRES_DB']}"
    assert pg["POSTGRES_HOST_AUTH_METHOD"] == "trust" and services["postgres"]["networks"] == ["internal"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    check = services["postgres"]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "pg_isready"] and check[check.index("-p") + 1] == "5432"
def test_retrain_loop_writes_the_served_artifacts_from_the_profiles_store():
    services = compose()["services"]
    retrain, trainer = services["retrain"], services["trainer"]
    assert retrain["build"] == trainer["build"] and retrain["image"] == trainer["image"]
    command = retrain["command"]
    assert command[:1] == ["retrain"] and float(command[command.index("--every") + 1]) > 0
    out = command[command.index("--out") + 1]
    assert f"artifacts:{out}" in retrain["volumes"] and out == trainer["command"][trainer["command"].index("--out") + 1]
    assert retrain["environment"]["PROFILES_DATABASE_URL"] == compose_env("profiles")["PROFILES_DATABASE_URL"]
    assert "internal" in retrain["networks"]
    assert retrain["depends_on"] == {"trainer": {"condition": "service_completed_successfully"},
                                     "profiles": {"condition": "service_healthy"}}


def test_gateway_finds_redis_on_the_port_redis_listens_on():
    services = compose()["services"]
    command = services["redis"]["command"]
    port = command[command.index("--port") + 1]
    assert compose_env("gateway")["GATEWAY_REDIS_URL"] == f"redis://redis:{port}/0"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "-p", port, "ping"]
    # Containers reach redis from another address: protected mode (loopback only without a password) is off
    # there, and only the internal network can reach it.
    assert command[command.index("--protected-mode") + 1] == "no" and services["redis"]["networks"] == ["internal"]
    ecs_redis = ecs_env(ecs_template(), "gateway")["GATEWAY_REDIS_URL"]["Fn::Sub"]
    assert ecs_redis.startswith("rediss://"), "ElastiCache has TLS in transit on"


def _check_compose_schema(path) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--builtin-schema",
                           "vendor.compose-spec", str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.integration
def test_compose_file_is_valid_under_the_compose_spec_schema(tmp_path):
    done = _check_compose_schema(COMPOSE_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace("condition: service_healthy", "condition: service_happy"))
    done = _check_compose_schema(broken)
    assert done.returncode != 0 and "service_happy" in done.stdout


def test_forwarded_headers_are_trusted_only_behind_the_load_balancer():
    """ECS: only the ALB reaches the gateway's port, from the VPC's private ranges, so those are trusted;
    compose publishes the gateway directly, so no one is."""
    template = ecs_template()
    ingress = template["Resources"]["GatewaySecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [rule["SourceSecurityGroupId"] for rule in ingress] == [{"Ref": "LoadBalancerSecurityGroup"}]
    ecs = load_settings(GatewaySettings, trusted_proxies=ecs_env(template, "gateway")["GATEWAY_TRUSTED_PROXIES"])
    assert "10.0.0.0/8" in ecs.trusted_proxy_list and "0.0.0.0/0" not in ecs.trusted_proxy_list
    assert compose_env("gateway")["GATEWAY_TRUSTED_PROXIES"] == ""


def test_every_redis_is_bounded_and_evicts_least_recently_used_keys():
    """The local stack's, compose's and ElastiCache's Redis: a memory cap and allkeys-lru."""
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert command[command.index("--maxmemory") + 1].endswith("mb")
    resources = ecs_template()["Resources"]
    group = resources["Redis"]["Properties"]["CacheParameterGroupName"]
    assert resources[group["Ref"]]["Properties"]["Properties"]["maxmemory-policy"] == "allkeys-lru"
    assert Stack(Path("/nonexistent"), Path("/nonexistent")).redis_policy == "allkeys-lru"
