"""The offline deploy rehearsal: `scripts/deploy.py` against moto's server, then the app against what it made.

moto runs in server mode on 127.0.0.1 (a free port, stopped by its pid whatever happens). `deploy --stage dev
--endpoint-url <moto> --skip-chalice --config <copy>` creates the data stack from infra/aduan-data.template.json,
renders the policy and writes the stage's environment into a copy of `.chalice/config.json` (the repository's
file is never touched); then `chalice local --stage dev`, with that config and its DynamoDB, S3 and Secrets
Manager on moto, answers the health check and files one complaint, which is read back from moto's cases table.
Last, `destroy --purge-data` removes the stack and what it retained.

The stage is `dev`: the template accepts only dev and prod (moto does not check AllowedValues, deploy.py does).
moto's CloudFormation skips some resource types (MOTO_SKIPS): the test requires exactly those to be missing,
so a type moto starts creating, or a new one it ignores, fails here rather than passing silently.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from chalicelib.channels.registry import CHANNELS
from infra.render import FUNCTIONS, LOG_DAYS_DEV
from scripts import deploy
from scripts.local_stack import (
    REPO_ROOT,
    ManagedProcess,
    chalice_local_argv,
    free_port,
    health_ok,
    http_get,
    local_url_environment,
    stage_config_environment,
    start_process,
    wait_until,
)

pytestmark = pytest.mark.integration

STAGE = "dev"
REGION = "ap-southeast-3"
MOTO_ACCOUNT = "123456789012"  # the account moto's STS answers for
# Resource types of the data template that moto's CloudFormation (5.2.5) does not create ("No Moto
# CloudFormation support for ..."); everything else in the template must exist after the deploy.
MOTO_SKIPS = {
    "AWS::CloudWatch::Alarm": "throttling alarms: not checked offline",
    "AWS::S3::BucketPolicy": "TLS-only and SES-delivery bucket policies: not checked offline",
    "AWS::SecretsManager::Secret": "the session and channels secrets: this test creates them as the template says",
    "AWS::SNS::Subscription": "the alarm topic's e-mail subscription: not checked offline",
}
# Properties of created resources that moto accepts but does not apply (so they are not checked here either):
MOTO_IGNORES_PROPERTIES = {
    "AWS::DynamoDB::Table": ("TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"),
    "AWS::S3::Bucket": ("PublicAccessBlockConfiguration", "LifecycleConfiguration", "OwnershipControls"),
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


def _offline_environment(**extra: str) -> dict[str, str]:
    """This process's environment with fake credentials only: nothing here may reach a real account."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ADUAN_"))}
    return {**env, **FAKE_CREDENTIALS, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy-rehearsal-logs")


@pytest.fixture(scope="module")
def moto_server(logs: Path) -> Iterator[str]:
    """moto's server (every AWS API on one endpoint) on 127.0.0.1, stopped by its pid in the finalizer."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = start_process("moto server", argv, env=_offline_environment(), log_path=logs / "moto.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/moto-api/", timeout=1.0)[0] == 200, proc, "answer on " + url, 30)
        yield url
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory of links to the repository's entries and a copy of `.chalice/config.json` to write
    into (links to everything, so whatever the app imports from the project root is there)."""
    root = tmp_path_factory.mktemp("project")
    for entry in REPO_ROOT.iterdir():
        if entry.name not in (".chalice", ".git"):
            (root / entry.name).symlink_to(entry)
    (root / ".chalice").mkdir()
    (root / ".chalice" / "config.json").write_text((REPO_ROOT / ".chalice" / "config.json").read_text())
    return root


def _reset(endpoint: str) -> None:
    """Empty every service of moto's server (its control API): each test starts from no account state."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", data=b"", method="POST"),
                                timeout=10):
        pass


def _aws(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _run_deploy(endpoint: str, config: Path, *command: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "scripts.deploy", *command, "--stage", STAGE, "--endpoint-url", endpoint,
            "--skip-chalice", "--config", str(config)]
    done = subprocess.run(argv, cwd=str(REPO_ROOT), env=_offline_environment(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _start_app(project: Path, endpoint: str, logs: Path) -> ManagedProcess:
    """`chalice local --stage dev` from the rehearsal's project directory, every AWS call on moto."""
    port = free_port()
    argv = chalice_local_argv(port, STAGE)
    argv[argv.index("--project-dir") + 1] = str(project)
    env = _offline_environment(
        AWS_ENDPOINT_URL=endpoint,  # Secrets Manager (the session secret) and S3; PynamoDB has its own host
        ADUAN_DYNAMODB_HOST=endpoint,
        ADUAN_OUTBOX_MODE="capture",  # nothing leaves the machine
        ADUAN_MEDIA_DIR=str(logs / "media"),
        **local_url_environment(port),
        **stage_config_environment(STAGE, project_dir=project),
    )
    proc = start_process("chalice local", argv, env=env, log_path=logs / "chalice-local.log", cwd=project)
    proc.url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: health_ok(proc.url), proc, "GET /health = 200 on " + proc.url, 60)
    except BaseException:
        proc.stop()
        raise
    return proc


def _post_json(url: str, body: dict) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def _webhook_routes() -> set[str]:
    """The app's /webhooks/ routes, read in a child process (importing the app here would fix its environment
    for the tests that run after this one)."""
    code = "import json; from app import app; print(json.dumps([r for r in app.routes if r.startswith('/webhooks/')]))"
    done = subprocess.run([sys.executable, "-c", code], cwd=str(REPO_ROOT), env=_offline_environment(),
                          capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def _condition(template: dict, expression: object, parameters: dict[str, str]) -> object:
    """Evaluate a CloudFormation condition (Fn::Equals/Not/And/Or, Ref, Condition) for the given parameters."""
    if isinstance(expression, dict):
        [(function, argument)] = expression.items()
        if function == "Ref":
            return parameters.get(argument, template["Parameters"].get(argument, {}).get("Default"))
        if function == "Condition":
            return _condition(template, template["Conditions"][argument], parameters)
        values = [_condition(template, a, parameters) for a in argument]
        return {"Fn::Equals": lambda: values[0] == values[1], "Fn::Not": lambda: not values[0],
                "Fn::And": lambda: all(values), "Fn::Or": lambda: any(values)}[function]()
    return expression


def _expected_resources(template: dict, parameters: dict[str, str]) -> dict[str, dict]:
    """The template's resources that these parameters create (a resource whose Condition is false is not made)."""
    return {logical: resource for logical, resource in template["Resources"].items()
            if "Condition" not in resource
            or _condition(template, {"Condition": resource["Condition"]}, parameters)}


def _check_stack_against_template(endpoint: str, template: dict, parameters: dict[str, str]) -> None:
    cloudformation = _aws("cloudformation", endpoint)
    [stack] = cloudformation.describe_stacks(StackName=deploy.stack_name(STAGE))["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    created = {r["LogicalResourceId"]: r for page in cloudformation.get_paginator("list_stack_resources")
               .paginate(StackName=stack["StackName"]) for r in page["StackResourceSummaries"]}
    expected = _expected_resources(template, parameters)
    missing = {logical: resource["Type"] for logical, resource in expected.items() if logical not in created}
    assert set(missing.values()) == set(MOTO_SKIPS) & {r["Type"] for r in expected.values()}, (
        f"moto skipped {sorted(set(missing.values()))}; MOTO_SKIPS (and the README's list) say {sorted(MOTO_SKIPS)}")
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in created.values())

    dynamodb = _aws("dynamodb", endpoint)
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        want = resource["Properties"]
        name = want["TableName"]["Fn::Sub"].replace("${Stage}", STAGE)
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert created[logical]["PhysicalResourceId"] == name
        assert table["KeySchema"] == want["KeySchema"], name
        assert {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])} == {
            i["IndexName"]: i["KeySchema"] for i in want.get("GlobalSecondaryIndexes", [])}, name
        stream = want.get("StreamSpecification")
        assert table.get("StreamSpecification", {}).get("StreamViewType") == (stream or {}).get("StreamViewType")
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["DeletionProtectionEnabled"] is False  # only prod's tables are protected

    s3 = _aws("s3", endpoint)
    for purpose in ("media", "mail"):
        bucket = f"aduan-{STAGE}-{purpose}-{MOTO_ACCOUNT}"
        s3.head_bucket(Bucket=bucket)
        [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    groups = _aws("logs", endpoint).describe_log_groups(logGroupNamePrefix=f"/aws/lambda/aduan-{STAGE}")["logGroups"]
    assert len(groups) == len(FUNCTIONS) and {g.get("retentionInDays") for g in groups} == {LOG_DAYS_DEV}


def _create_skipped_secrets(endpoint: str, template: dict) -> None:
    """Stand in for moto's missing AWS::SecretsManager::Secret support: the same names and initial values."""
    secretsmanager = _aws("secretsmanager", endpoint)
    names = deploy.secret_names(STAGE, template)
    secretsmanager.create_secret(Name=names["SessionSecret"], SecretString=secrets.token_urlsafe(48))
    channels = template["Resources"]["ChannelSecrets"]["Properties"]["SecretString"]
    secretsmanager.create_secret(Name=names["ChannelSecrets"], SecretString=channels)


def test_make_deploy_rehearsed_offline_on_moto(moto_server: str, project: Path, logs: Path) -> None:
    started = time.monotonic()
    _reset(moto_server)
    config = project / ".chalice" / "config.json"
    repo_files = {name: (REPO_ROOT / ".chalice" / name).read_text() for name in ("config.json", "policy-dev.json")}
    repo_config = repo_files["config.json"]
    template = deploy.load_template()

    # deploy: the stack, its outputs in the stage's config, the policy for the caller's account
    parameters = {"Stage": STAGE}
    if "AlarmEmail" in template["Parameters"]:  # conditional resources included
        parameters["AlarmEmail"] = "ops@example.org"
    given = [f"--parameter={k}={v}" for k, v in parameters.items() if k != "Stage"]
    first = _run_deploy(moto_server, config, "deploy", *given)
    assert "stack aduan-dev-data: created, CREATE_COMPLETE" in first.stdout
    _check_stack_against_template(moto_server, template, parameters)
    [stack] = _aws("cloudformation", moto_server).describe_stacks(StackName="aduan-dev-data")["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    written = json.loads(config.read_text())
    before = json.loads(repo_config)
    env = written["stages"][STAGE]["environment_variables"]
    assert env["ADUAN_INBOUND_STREAM_ARN"] == outputs["InboundEventsTableStreamArn"]
    assert env["ADUAN_CASES_STREAM_ARN"] == outputs["CasesTableStreamArn"]
    assert env["ADUAN_MEDIA_BUCKET"] == outputs["MediaBucket"] == f"aduan-dev-media-{MOTO_ACCOUNT}"
    assert env["ADUAN_MAIL_BUCKET"] == outputs["MailBucket"] == f"aduan-dev-mail-{MOTO_ACCOUNT}"
    assert env["ADUAN_SESSION_SECRET_NAME"] == "aduan-dev/session-secret"
    assert env["ADUAN_CHANNEL_SECRETS_NAME"] == "aduan-dev/channels"
    assert all(value.startswith(env["ADUAN_TABLE_PREFIX"]) for key, value in outputs.items() if key.endswith("Table"))
    # only the stage's environment moved: every other stage and setting is as it was
    assert {k: v for k, v in written.items() if k != "stages"} == {k: v for k, v in before.items() if k != "stages"}
    assert {k: v for k, v in written["stages"].items() if k != STAGE} == {
        k: v for k, v in before["stages"].items() if k != STAGE}
    assert {k: v for k, v in written["stages"][STAGE].items() if k != "environment_variables"} == {
        k: v for k, v in before["stages"][STAGE].items() if k != "environment_variables"}
    policy = json.loads((config.parent / "policy-dev.json").read_text())
    assert f"arn:aws:dynamodb:{REGION}:{MOTO_ACCOUNT}:table/aduan-dev-cases" in json.dumps(policy)
    for name, text in repo_files.items():  # the repository's own files untouched
        assert (REPO_ROOT / ".chalice" / name).read_text() == text

    # a second deploy, without the parameters (they keep their values), changes nothing and writes nothing
    snapshot = config.read_text()
    second = _run_deploy(moto_server, config, "deploy")
    assert "stack aduan-dev-data: unchanged" in second.stdout and "already up to date" in second.stdout
    assert config.read_text() == snapshot
    for path in deploy.WEBHOOKS.values():
        assert f"<api>{path.replace('{gateway}', 'nusasms')}" in second.stdout
    generic = set(CHANNELS.generic_webhook_paths().values())  # served by `/webhooks/{channel}`, listed one by one
    assert set(deploy.WEBHOOKS.values()) == _webhook_routes() - {"/webhooks/{channel}"} | generic
    # moto skipped the secrets (MOTO_SKIPS): the deploy says so, naming them, never showing a value
    assert "secret aduan-dev/session-secret: not readable (ResourceNotFoundException)" in second.stdout

    # the app against what the deploy made: health, then one complaint stored in moto's cases table
    _create_skipped_secrets(moto_server, template)
    app = _start_app(project, moto_server, logs)
    try:
        status, body = http_get(app.url + "/health")
        health = json.loads(body)
        assert (status, health["status"], health["stage"], health["dynamodb"]) == (200, "ok", STAGE, "ok")
        status, receipt = _post_json(app.url + "/api/complaints", {
            "idempotency_key": uuid.uuid4().hex,
            "description": "Lampu penerangan jalan di Jl. Dhoho mati sejak tiga hari, gelap sekali malam hari",
        })
        assert status == 201, (receipt, app.log_tail())
    finally:
        app.stop()
    number = receipt["tracking_number"]
    stored = _aws("dynamodb", moto_server).get_item(TableName="aduan-dev-cases", Key={"case_id": {"S": number}})
    assert stored["Item"]["status"]["S"] == "BARU"
    assert "Jl. Dhoho" in stored["Item"]["description"]["S"]

    # destroy: the stack goes; --purge-data deletes what it retained
    gone = _run_deploy(moto_server, config, "destroy", "--purge-data")
    assert "stack aduan-dev-data deleted" in gone.stdout
    assert not [t for t in _aws("dynamodb", moto_server).list_tables()["TableNames"] if t.startswith("aduan-dev-")]
    assert not _aws("s3", moto_server).list_buckets()["Buckets"]
    assert time.monotonic() - started < 60


def test_destroy_refuses_prod_without_confirmation_and_deploy_refuses_a_stage_the_template_refuses(capsys) -> None:
    """Both refusals come before any AWS call (no endpoint or credentials are needed to see them)."""
    assert deploy.main(["destroy", "--stage", "prod", "--skip-chalice"]) == 1
    assert "refusing to destroy prod" in capsys.readouterr().err
    assert deploy.main(["destroy", "--stage", "prod", "--confirm", "prod", "--purge-data", "--skip-chalice"]) == 1
    assert "--purge-data is refused for prod" in capsys.readouterr().err
    assert deploy.main(["deploy", "--stage", "staging", "--skip-chalice"]) == 1
    assert "accepts the stages dev, prod, not 'staging'" in capsys.readouterr().err


def test_after_chalice_deploy_the_public_urls_are_set_once_and_every_webhook_url_is_printed(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The part after `chalice deploy`, with chalice faked: the first deploy learns the API's URL and deploys once
    more with it; later deploys deploy once; a stage that names its own address (a custom domain) keeps it."""
    api = "https://abc123.execute-api.ap-southeast-3.amazonaws.com/api"
    _reset(moto_server)
    (tmp_path / ".chalice").mkdir()
    config = tmp_path / ".chalice" / "config.json"
    config.write_text((REPO_ROOT / ".chalice" / "config.json").read_text())
    chalice_runs: list[tuple[str, ...]] = []

    def fake_chalice(project_dir: Path, region: str, *args: str) -> None:
        assert (project_dir, region) == (tmp_path, REGION)
        chalice_runs.append(args)
        record = project_dir / ".chalice" / "deployed" / f"{STAGE}.json"
        record.parent.mkdir(exist_ok=True)
        record.write_text(json.dumps({"resources": [{"resource_type": "rest_api", "rest_api_url": api + "/"}]}))

    monkeypatch.setattr(deploy, "run_chalice", fake_chalice)
    monkeypatch.setattr(deploy, "health", lambda url: f"200 (checked {url}/health)")
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    argv = ["deploy", "--stage", STAGE, "--endpoint-url", moto_server, "--config", str(config)]

    assert deploy.main(argv) == 0
    assert chalice_runs == [("deploy", "--stage", STAGE)] * 2
    env = json.loads(config.read_text())["stages"][STAGE]["environment_variables"]
    assert env["ADUAN_PUBLIC_BASE_URL"] == api and env["ADUAN_TWILIO_PUBLIC_URL"] == api + "/webhooks/twilio"
    out = capsys.readouterr().out
    for path in deploy.WEBHOOKS.values():
        assert api + path.replace("{gateway}", "nusasms") in out
    assert "aduan-dev-receive_email" in out and f"health: 200 (checked {api}/health)" in out

    chalice_runs.clear()
    assert deploy.main(argv) == 0
    assert chalice_runs == [("deploy", "--stage", STAGE)]

    written = json.loads(config.read_text())
    written["stages"][STAGE]["environment_variables"]["ADUAN_PUBLIC_BASE_URL"] = "https://aduan.kota.go.id"
    config.write_text(json.dumps(written, indent=2) + "\n")
    chalice_runs.clear()
    assert deploy.main(argv) == 0
    assert chalice_runs == [("deploy", "--stage", STAGE)]
    assert json.loads(config.read_text())["stages"][STAGE]["environment_variables"]["ADUAN_PUBLIC_BASE_URL"] == (
        "https://aduan.kota.go.id")

    assert deploy.main(["destroy", "--stage", STAGE, "--endpoint-url", moto_server, "--config", str(config),
                        "--purge-data"]) == 0
    assert chalice_runs[-1] == ("delete", "--stage", STAGE)


def test_a_template_above_the_inline_limit_goes_through_the_deploy_bucket(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFormation takes at most 51,200 bytes inline; a larger template is uploaded and passed by URL, and
    `destroy` removes that bucket with the stack."""
    _reset(moto_server)
    (tmp_path / ".chalice").mkdir()
    config = tmp_path / ".chalice" / "config.json"
    config.write_text((REPO_ROOT / ".chalice" / "config.json").read_text())
    monkeypatch.setattr(deploy, "TEMPLATE_BODY_LIMIT", 1000)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    common = ["--stage", STAGE, "--endpoint-url", moto_server, "--config", str(config), "--skip-chalice"]

    assert deploy.main(["deploy", *common]) == 0

    bucket = deploy.deploy_bucket(STAGE, MOTO_ACCOUNT)
    [stored] = _aws("s3", moto_server).list_objects_v2(Bucket=bucket)["Contents"]
    assert stored["Key"].startswith("aduan-dev-data/") and stored["Size"] > 1000
    [stack] = _aws("cloudformation", moto_server).describe_stacks(StackName="aduan-dev-data")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert deploy.main(["deploy", *common]) == 0  # the same template again: nothing to update
    assert deploy.main(["destroy", *common, "--purge-data"]) == 0
    assert not _aws("s3", moto_server).list_buckets()["Buckets"]
