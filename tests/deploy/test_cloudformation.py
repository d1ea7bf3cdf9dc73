"""The CloudFormation templates: cfn-lint clean, the pieces the deployment needs, no secrets or accounts."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from scripts.stack import ROOT
from tests.deploy.deploy_files import AWS_DIR, ECS_SERVICES, ecs_container, ecs_template

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

TEMPLATES = sorted(AWS_DIR.glob("*.yaml"))


def test_there_are_templates():
    assert {t.name for t in TEMPLATES} >= {"movierec.yaml", "frontend.yaml"}


def test_cfn_lint_passes_on_every_template_including_informational_checks():
    done = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                           "--include-checks", "I", "--", *map(str, TEMPLATES)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path):
    """The lint step is live: a task definition with an invalid property fails it."""
    broken = (AWS_DIR / "movierec.yaml").read_text().replace("NetworkMode: awsvpc", "NetworkMode: wormhole", 1)
    (tmp_path / "broken.yaml").write_text(broken)
    done = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                           "--", str(tmp_path / "broken.yaml")], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "wormhole" in done.stdout


@pytest.mark.parametrize("path", [*TEMPLATES, ROOT / "docker-compose.yml"], ids=lambda p: p.name)
def test_no_account_ids_keys_or_secrets(path):
    text = path.read_text()
    assert not re.search(r"(?<![\d.])\d{12}(?![\d.])", text), "looks like an AWS account id"
    assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text), "looks like an access key"
    # A literal value is refused. Not literals: `ManageMasterUserPassword: true` (RDS keeps the password in
    # Secrets Manager) and a Secrets Manager reference's JSON key (`<secret arn>:password::`).
    assert not re.search(r"(?i)(?<!:)(password|secret)\s*[:=]\s*(?!true\b)\S", text)


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_stack_has_every_piece_of_the_deployment():
    t = ecs_template()
    assert len(resources(t, "AWS::ECS::Cluster")) == 1
    assert set(resources(t, "AWS::ECS::TaskDefinition")) == {f"{s.capitalize()}TaskDefinition"
                                                              for s in (*ECS_SERVICES, "retrain")}
    services = resources(t, "AWS::ECS::Service")
    assert set(services) == {f"{s.capitalize()}Service" for s in ECS_SERVICES}
    for svc in services.values():
        props = svc["Properties"]
        assert props["LaunchType"] == "FARGATE" and props["ServiceConnectConfiguration"]["Enabled"] is True
        assert props["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
        assert props["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert len(resources(t, "AWS::ElastiCache::ReplicationGroup")) == 1
    assert len(resources(t, "AWS::S3::Bucket")) == 1
    assert len(resources(t, "AWS::Logs::LogGroup")) == 5  # the four services and the retrain task
    (tg,) = resources(t, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert tg["Properties"]["HealthCheckPath"] == "/health" and tg["Properties"]["TargetType"] == "ip"
    gateway_lb = services["GatewayService"]["Properties"]["LoadBalancers"]
    assert gateway_lb == [{"ContainerName": "gateway", "ContainerPort": 8000,
                           "TargetGroupArn": {"Ref": "GatewayTargetGroup"}}]


def test_gateway_and_scorer_scale_by_target_tracking():
    t = ecs_template()
    targets = resources(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    scaled = {r["Properties"]["ResourceId"]["Fn::Sub"].rsplit("${", 1)[1].split("Service")[0].lower()
              for r in targets.values()}
    assert scaled == {"gateway", "scorer"}
    for policy in resources(t, "AWS::ApplicationAutoScaling::ScalingPolicy").values():
        assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"


def test_task_roles_only_read_artifacts():
    t = ecs_template()
    backend = t["Resources"]["BackendTaskRole"]["Properties"]
    actions = {s["Action"] for p in backend["Policies"] for s in p["PolicyDocument"]["Statement"]}
    assert actions == {"s3:GetObject", "s3:ListBucket"}
    for role in ("GatewayTaskRole", "ProfilesTaskRole"):
        assert "Policies" not in t["Resources"][role]["Properties"]
    for service in ("matcher", "scorer"):
        role = t["Resources"][f"{service.capitalize()}TaskDefinition"]["Properties"]["TaskRoleArn"]
        assert role == {"Fn::GetAtt": ["BackendTaskRole", "Arn"]}


@pytest.mark.parametrize("service", ECS_SERVICES)
def test_containers_run_read_only_with_tmp_volume_and_logs(service):
    c = ecs_container(ecs_template(), service)
    assert c["ReadonlyRootFilesystem"] is True
    assert c["MountPoints"] == [{"SourceVolume": "tmp", "ContainerPath": "/tmp"}]
    assert c["LogConfiguration"]["LogDriver"] == "awslogs"
    assert c["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": f"{service.capitalize()}LogGroup"}


def test_image_coordinates_are_parameters_without_defaults():
    params = ecs_template()["Parameters"]
    for name in ("ImageRepository", "ImageTag"):
        assert "Default" not in params[name], f"{name} must be given at deploy time (no account in the repo)"


def test_profiles_store_is_private_encrypted_rds_postgresql_with_its_password_in_secrets_manager():
    t = ecs_template()
    (db,) = resources(t, "AWS::RDS::DBInstance").values()
    props = db["Properties"]
    assert props["Engine"] == "postgres" and props["StorageEncrypted"] is True and props["PubliclyAccessible"] is False
    assert props["ManageMasterUserPassword"] is True and "MasterUserPassword" not in props
    assert db["DeletionPolicy"] == "Snapshot" and props["DeletionProtection"] is True
    ingress = t["Resources"]["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert {r["SourceSecurityGroupId"]["Ref"] for r in ingress} == {"RetrainSecurityGroup", "ProfilesSecurityGroup"}
    assert {(r["FromPort"], r["ToPort"]) for r in ingress} == {(5432, 5432)}


def test_retrain_runs_on_a_schedule_from_the_store_into_the_served_artifacts():
    t = ecs_template()
    task = t["Resources"]["RetrainTaskDefinition"]["Properties"]
    (c,) = task["ContainerDefinitions"]
    assert c["Image"]["Fn::Sub"] == "${ImageRepository}/movierec-trainer:${ImageTag}"
    assert c["Command"][:1] == ["retrain"] and "--every" not in c["Command"]  # EventBridge is the loop
    out = c["Command"][c["Command"].index("--out") + 1]
    assert out == ecs_container(t, "scorer")["Environment"][1]["Value"]  # SCORER_ARTIFACT_DIR
    env = {e["Name"]: e["Value"] for e in c["Environment"]}
    assert "@${Database.Endpoint.Address}" in env["PROFILES_DATABASE_URL"]["Fn::Sub"]
    assert ":" not in env["PROFILES_DATABASE_URL"]["Fn::Sub"].split("//")[1].split("@")[0]  # no password in it
    (secret,) = c["Secrets"]
    assert secret == {"Name": "PROFILES_DATABASE_PASSWORD",
                      "ValueFrom": {"Fn::Sub": "${Database.MasterUserSecret.SecretArn}:password::"}}
    assert c["ReadonlyRootFilesystem"] is True and task["TaskRoleArn"] == {"Fn::GetAtt": ["RetrainTaskRole", "Arn"]}
    (rule,) = resources(t, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == {"Ref": "RetrainSchedule"}
    (target,) = rule["Properties"]["Targets"]
    ecs = target["EcsParameters"]
    assert ecs["TaskDefinitionArn"] == {"Ref": "RetrainTaskDefinition"} and ecs["LaunchType"] == "FARGATE"
    assert ecs["NetworkConfiguration"]["AwsVpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    roles = t["Resources"]
    writes = {a for p in roles["RetrainTaskRole"]["Properties"]["Policies"]
              for st in p["PolicyDocument"]["Statement"] for a in ([st["Action"]] if isinstance(st["Action"], str)
                                                                  else st["Action"])}
    assert writes == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}  # delete: lock, pruning
    bucket = roles["ArtifactBucket"]["Properties"]  # versioned: what retrain deletes must expire to free space
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled" and rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    secret_readers = [st for p in roles["ExecutionRole"]["Properties"]["Policies"]
                      for st in p["PolicyDocument"]["Statement"]]
    assert secret_readers == [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]}}]


def test_profiles_reaches_the_store_with_the_password_from_secrets_manager_and_only_the_gateway_reaches_it():
    t = ecs_template()
    profiles, retrain = ecs_container(t, "profiles"), t["Resources"]["RetrainTaskDefinition"]["Properties"]
    (retrain_container,) = retrain["ContainerDefinitions"]
    url = {e["Name"]: e["Value"] for e in profiles["Environment"]}["PROFILES_DATABASE_URL"]
    assert url == {e["Name"]: e["Value"] for e in retrain_container["Environment"]}["PROFILES_DATABASE_URL"]
    assert ":" not in url["Fn::Sub"].split("//")[1].split("@")[0] and url["Fn::Sub"].endswith("sslmode=require")
    assert profiles["Secrets"] == retrain_container["Secrets"]  # PROFILES_DATABASE_PASSWORD from the RDS secret
    task = t["Resources"]["ProfilesTaskDefinition"]["Properties"]
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}  # the role that may read it
    ingress = t["Resources"]["ProfilesSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["SourceSecurityGroupId"], r["FromPort"], r["ToPort"]) for r in ingress] == [
        ({"Ref": "GatewaySecurityGroup"}, 50053, 50053)]
    network = t["Resources"]["ProfilesService"]["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": "ProfilesSecurityGroup"}]
