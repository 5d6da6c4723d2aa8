"""One-command deploy and teardown of a stage: the data stack, the functions' policy and config, `chalice deploy`.

    python -m scripts.deploy deploy --stage dev [--region ap-southeast-3] [--mail-identity kota.go.id]
                                    [--parameter AlarmEmail=ops@kota.go.id]
    python -m scripts.deploy destroy --stage dev [--purge-data] [--confirm prod]

`deploy` creates or updates the CloudFormation stack `aduan-<stage>-data` (infra/aduan-data.template.json),
reads its outputs, renders `.chalice/policy-<stage>.json` for the caller's account and region, writes the
stage's `environment_variables` in `.chalice/config.json` from those outputs (nothing else in the file moves,
and a second run with the same outputs writes nothing), runs `chalice deploy --stage <stage>`, then prints the
API URL, the webhook URL of every channel and the health check. Nobody copies an ARN by hand.

Only names reach the config: the secrets' values stay in Secrets Manager and are never printed (the channels
secret is only counted, to say whether it still needs filling).

`destroy` runs `chalice delete`, then deletes the stack. The template keeps (DeletionPolicy Retain) the tables
and both buckets, so a deleted stack leaves the data in place; `--purge-data` (never for prod) then deletes
those tables and empties and deletes those buckets too. Deleting prod needs `--confirm prod`.

`--endpoint-url` and `--skip-chalice` exist for the offline rehearsal (tests/integration/test_deploy_rehearsal.py):
the same code against moto's server, without Lambda or API Gateway. `--config` writes another copy of
`.chalice/config.json` (the policy goes beside it); chalice then runs with that copy's project directory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as `python scripts/deploy.py` too
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.channels.registry import CHANNELS  # noqa: E402
from infra.render import DEFAULT_MAIL_IDENTITY, DEFAULT_REGION, render_policy  # noqa: E402

TEMPLATE = REPO_ROOT / "infra" / "aduan-data.template.json"
DEFAULT_CONFIG = REPO_ROOT / ".chalice" / "config.json"
TEMPLATE_BODY_LIMIT = 51_200  # CloudFormation's inline TemplateBody limit (bytes); larger ones need S3
NO_UPDATES = "No updates are to be performed"
# Each provider's webhook path (handlers/webhooks.py; the rehearsal test keeps this equal to the app's routes):
# the providers with routes of their own, then those the generic `/webhooks/{channel}` serves (the registry's)
WEBHOOKS = {
    "line": "/webhooks/line",
    "whatsapp": "/webhooks/whatsapp",
    "meta": "/webhooks/meta",  # Messenger and Instagram
    "twilio": "/webhooks/twilio",  # Twilio SMS and WhatsApp
    "telegram": "/webhooks/telegram",
    "sms": "/webhooks/sms/{gateway}",
    **CHANNELS.generic_webhook_paths(),
}
_CHALICE_MAIN = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"


class DeployError(RuntimeError):
    """A step failed in a way the operator must fix; the message says how."""


def stack_name(stage: str) -> str:
    return f"aduan-{stage}-data"


def _say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------------
# The template and its stage


def load_template(path: Path = TEMPLATE) -> dict:
    return json.loads(path.read_text())


def check_stage(stage: str, template: Mapping[str, Any]) -> None:
    """Refuse a stage the template refuses, before anything is created (moto does not check AllowedValues)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", stage or ""):
        raise DeployError(f"the stage is a name like dev or prod, not {stage!r}")
    allowed = template.get("Parameters", {}).get("Stage", {}).get("AllowedValues")
    if allowed and stage not in allowed:
        raise DeployError(f"the data template accepts the stages {', '.join(allowed)}, not {stage!r} "
                          "(infra/render.py, parameter Stage)")


def template_body(template: Mapping[str, Any]) -> str:
    """The template without whitespace (the committed file is indented for review, and larger)."""
    return json.dumps(template, separators=(",", ":"))


def stack_parameters(template: Mapping[str, Any], stage: str, given: Mapping[str, str],
                     existing: Mapping[str, Any] | None) -> list[dict]:
    """`Stage`, the values given, and for every other parameter the stack's previous value (an update without
    `--parameter AlarmEmail=...` must not clear it), else the template's default."""
    declared = template.get("Parameters", {})
    unknown = sorted(set(given) - set(declared) | ({"Stage"} & set(given)))
    if unknown:
        raise DeployError(f"the data template has no parameter {', '.join(unknown)} to set "
                          f"(it has: {', '.join(k for k in declared if k != 'Stage')}; the stage is --stage)")
    previous = {p["ParameterKey"] for p in (existing or {}).get("Parameters", [])}
    parameters = [{"ParameterKey": "Stage", "ParameterValue": stage}]
    for key in declared:
        if key in given:
            parameters.append({"ParameterKey": key, "ParameterValue": given[key]})
        elif key != "Stage" and key in previous:
            parameters.append({"ParameterKey": key, "UsePreviousValue": True})
    return parameters


def template_source(session: Any, endpoint_url: str | None, stage: str, account: str, region: str,
                    body: str) -> dict[str, str]:
    """`TemplateBody` when the template fits CloudFormation's inline limit, else `TemplateURL`: the template
    uploaded to the stage's deploy bucket (`aduan-<stage>-deploy-<account>`, private, outside the stack, since
    the stack cannot hold the bucket its own template comes from; `destroy` deletes it)."""
    if len(body.encode()) <= TEMPLATE_BODY_LIMIT:
        return {"TemplateBody": body}
    from botocore.exceptions import ClientError

    s3 = client(session, "s3", endpoint_url)
    bucket = deploy_bucket(stage, account)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **where)
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        _say(f"created bucket {bucket} for the template ({len(body.encode())} bytes, above the inline limit)")
    key = f"{stack_name(stage)}/{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")
    return {"TemplateURL": f"https://{bucket}.s3.{region}.amazonaws.com/{key}"}


def deploy_bucket(stage: str, account: str) -> str:
    return f"aduan-{stage}-deploy-{account}"


def secret_names(stage: str, template: Mapping[str, Any]) -> dict[str, str]:
    """Logical id -> the secret's name for `stage` (from the template's `Name: !Sub aduan-${Stage}/...`)."""
    names = {}
    for logical, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::SecretsManager::Secret":
            name = resource["Properties"]["Name"]
            name = name.get("Fn::Sub", "") if isinstance(name, dict) else name
            names[logical] = name.replace("${Stage}", stage)
    return names


# --------------------------------------------------------------------------------------------------
# AWS clients


def aws_session(region: str) -> Any:
    import boto3

    return boto3.session.Session(region_name=region)


def client(session: Any, service: str, endpoint_url: str | None) -> Any:
    return session.client(service, endpoint_url=endpoint_url) if endpoint_url else session.client(service)


def caller_account(session: Any, endpoint_url: str | None) -> str:
    return str(client(session, "sts", endpoint_url).get_caller_identity()["Account"])


# --------------------------------------------------------------------------------------------------
# The data stack


def _stack(cloudformation: Any, name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def _wait(cloudformation: Any, waiter: str, name: str) -> None:
    from botocore.exceptions import WaiterError

    try:
        cloudformation.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    except WaiterError as error:
        stack = _stack(cloudformation, name) or {}
        failed = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
            for e in cloudformation.describe_stack_events(StackName=name)["StackEvents"][:50]
            if e["ResourceStatus"].endswith("_FAILED")
        ]
        raise DeployError(f"stack {name} ended {stack.get('StackStatus', '?')}: "
                          + ("; ".join(failed[:5]) or str(error))) from error


def deploy_stack(cloudformation: Any, stage: str, source: Mapping[str, str], template: Mapping[str, Any],
                 given: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Create or update `aduan-<stage>-data` and wait for it: (what happened, the stack's outputs)."""
    from botocore.exceptions import ClientError

    name = stack_name(stage)
    tags = [{"Key": "app", "Value": "aduan"}, {"Key": "stage", "Value": stage}]
    existing = _stack(cloudformation, name)
    parameters = stack_parameters(template, stage, given, existing)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {name} failed its first creation (ROLLBACK_COMPLETE) and cannot be updated: "
                          f"see its events, then `make destroy STAGE={stage}` and deploy again")
    if existing is None:
        _say(f"creating stack {name} ...")
        cloudformation.create_stack(StackName=name, Parameters=parameters, Tags=tags, OnFailure="ROLLBACK",
                                    **source)
        _wait(cloudformation, "stack_create_complete", name)
        action = "created"
    else:
        _say(f"updating stack {name} ({existing['StackStatus']}) ...")
        try:
            cloudformation.update_stack(StackName=name, Parameters=parameters, Tags=tags, **source)
        except ClientError as error:
            if NO_UPDATES not in str(error):
                raise
            action = "unchanged"
        else:
            _wait(cloudformation, "stack_update_complete", name)
            action = "updated"
    stack = _stack(cloudformation, name) or {}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    _say(f"stack {name}: {action}, {stack.get('StackStatus')}, {len(outputs)} outputs")
    return action, outputs


def stage_environment(stage: str, outputs: Mapping[str, str], template: Mapping[str, Any]) -> dict[str, str]:
    """The stage's environment variables that come from the stack (names and ARNs; never a secret's value)."""
    prefix = f"aduan-{stage}-"
    tables = {key: value for key, value in outputs.items() if key.endswith("Table")}
    stray = sorted(f"{key}={value}" for key, value in tables.items() if not value.startswith(prefix))
    if stray:
        raise DeployError(f"table outputs outside the prefix {prefix}: {', '.join(stray)}")
    needed = ("InboundEventsTableStreamArn", "CasesTableStreamArn", "MediaBucket", "MailBucket")
    missing = [key for key in needed if not outputs.get(key)]
    if missing:
        raise DeployError(f"stack {stack_name(stage)} has no output {', '.join(missing)}: is infra/ up to date?")
    secrets = secret_names(stage, template)
    return {
        "ADUAN_STAGE": stage,
        "ADUAN_TABLE_PREFIX": prefix,
        "ADUAN_SESSION_SECRET_NAME": secrets["SessionSecret"],
        "ADUAN_CHANNEL_SECRETS_NAME": secrets["ChannelSecrets"],
        "ADUAN_INBOUND_STREAM_ARN": outputs["InboundEventsTableStreamArn"],
        "ADUAN_CASES_STREAM_ARN": outputs["CasesTableStreamArn"],
        "ADUAN_MEDIA_BUCKET": outputs["MediaBucket"],
        "ADUAN_MAIL_BUCKET": outputs["MailBucket"],
    }


# --------------------------------------------------------------------------------------------------
# .chalice/config.json and the policy


def policy_path(config_path: Path, stage: str) -> Path:
    """Where the stage's `iam_policy_file` lives (Chalice reads it beside config.json)."""
    config = json.loads(config_path.read_text())
    name = config.get("stages", {}).get(stage, {}).get("iam_policy_file", f"policy-{stage}.json")
    return config_path.parent / name


def write_stage_config(config_path: Path, stage: str, env: Mapping[str, str],
                       only_if_absent: Mapping[str, str] | None = None) -> bool:
    """Set `env` (and `only_if_absent`, where the stage has no value yet) in the stage's environment_variables.

    Everything else in the file stays as it is; a new stage gets the least-privilege policy file.
    Returns whether the file changed (nothing is written when it would not)."""
    original = config_path.read_text()
    config = json.loads(original)
    stages = config.setdefault("stages", {})
    if stage not in stages:
        stages[stage] = {"autogen_policy": False, "iam_policy_file": f"policy-{stage}.json"}
    variables = stages[stage].setdefault("environment_variables", {})
    variables.update(env)
    for key, value in (only_if_absent or {}).items():
        variables.setdefault(key, value)
    text = json.dumps(config, indent=2) + "\n"
    if text == original:
        return False
    config_path.write_text(text)
    return True


def write_policy(path: Path, stage: str, account: str, region: str, mail_identity: str) -> bool:
    text = json.dumps(render_policy(stage, account, region, mail_identity), indent=2) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


# --------------------------------------------------------------------------------------------------
# Secrets (names and key counts only)


def report_secrets(session: Any, endpoint_url: str | None, names: Mapping[str, str]) -> None:
    """Say whether each secret exists and whether the channels secret still needs filling; no value shown."""
    from botocore.exceptions import ClientError

    secretsmanager = client(session, "secretsmanager", endpoint_url)
    for logical, name in names.items():
        try:
            value = secretsmanager.get_secret_value(SecretId=name).get("SecretString") or ""
        except ClientError as error:
            _say(f"secret {name}: not readable ({error.response.get('Error', {}).get('Code', '?')})")
            continue
        if logical == "ChannelSecrets":
            try:
                keys = len(json.loads(value))
            except ValueError:
                keys = -1
            state = "not JSON: fix it" if keys < 0 else f"{keys} keys" + (" - fill it in (README, Deploy)"
                                                                          if keys == 0 else "")
            _say(f"secret {name}: {state}")
        else:
            _say(f"secret {name}: present")


# --------------------------------------------------------------------------------------------------
# chalice


def run_chalice(project_dir: Path, region: str, *args: str) -> None:
    """The chalice CLI with this interpreter (the project's venv, whatever is on PATH), in the stage's region."""
    env = {**os.environ, "AWS_DEFAULT_REGION": region}
    argv = [sys.executable, "-c", _CHALICE_MAIN, "--project-dir", str(project_dir), *args]
    _say("$ chalice " + " ".join(args))
    done = subprocess.run(argv, cwd=str(project_dir), env=env, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise DeployError(f"chalice {args[0]} failed (exit {done.returncode})")


def deployed_api_url(project_dir: Path, stage: str) -> str:
    """The REST API's URL from what `chalice deploy` recorded (`.chalice/deployed/<stage>.json`)."""
    record = project_dir / ".chalice" / "deployed" / f"{stage}.json"
    for resource in json.loads(record.read_text()).get("resources", []):
        if resource.get("resource_type") == "rest_api" and resource.get("rest_api_url"):
            return str(resource["rest_api_url"]).rstrip("/")
    raise DeployError(f"{record} names no REST API")


def health(api_url: str, attempts: int = 6) -> str:
    """GET <api>/health, a few tries (a fresh API Gateway stage can take seconds to answer)."""
    result = ""
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(api_url + "/health", timeout=10) as response:
                return f"{response.status} {response.read().decode(errors='replace')}"
        except urllib.error.HTTPError as error:
            result = f"{error.code} {error.read().decode(errors='replace')[:300]}"
        except OSError as error:
            result = f"unreachable ({error})"
        if attempt + 1 < attempts:
            time.sleep(min(2 ** attempt, 10))
    return result


def webhook_urls(api_url: str, stage: str, gateway: str = "nusasms") -> list[str]:
    lines = [f"  {channel:<9} {api_url}{path.replace('{gateway}', gateway)}" for channel, path in WEBHOOKS.items()]
    lines.append(f"  {'email':<9} SES receipt rule: S3 action -> the mail bucket, prefix incoming/; "
                 f"then Lambda action -> aduan-{stage}-receive_email")
    return lines


# --------------------------------------------------------------------------------------------------
# Commands


def deploy(args: argparse.Namespace) -> int:
    """Stack, config and policy first, so `chalice deploy` never runs with another stage's or a stale ARN."""
    template = load_template()
    check_stage(args.stage, template)
    given = parse_parameters(args.parameter)
    stack_parameters(template, args.stage, given, None)  # an unknown parameter stops here, before any call
    config_path = Path(args.config).resolve()
    project_dir = config_path.parent.parent
    session = aws_session(args.region)
    account = caller_account(session, args.endpoint_url)
    _say(f"stage {args.stage}: account {account}, region {args.region}")
    source = template_source(session, args.endpoint_url, args.stage, account, args.region, template_body(template))
    _, outputs = deploy_stack(client(session, "cloudformation", args.endpoint_url), args.stage, source, template,
                              given)
    env = stage_environment(args.stage, outputs, template)
    changed = write_stage_config(config_path, args.stage, env)
    _say(f"{config_path}: stage {args.stage}'s environment {'written' if changed else 'already up to date'}")
    policy = policy_path(config_path, args.stage)
    changed = write_policy(policy, args.stage, account, args.region, args.mail_identity)
    _say(f"{policy}: {'rendered' if changed else 'already up to date'} for {account} / {args.region}")
    report_secrets(session, args.endpoint_url, secret_names(args.stage, template))
    if args.skip_chalice:
        _say("chalice deploy skipped (--skip-chalice); webhook paths:")
        _say("\n".join(webhook_urls("<api>", args.stage)))
        return 0
    run_chalice(project_dir, args.region, "deploy", "--stage", args.stage)
    api = deployed_api_url(project_dir, args.stage)
    # Links in replies and pages, and the URL Twilio signs, follow the API unless the stage already names
    # its own (a custom domain): the first deploy learns the URL, so it deploys once more with them.
    public = {"ADUAN_PUBLIC_BASE_URL": api, "ADUAN_TWILIO_PUBLIC_URL": api + WEBHOOKS["twilio"]}
    if write_stage_config(config_path, args.stage, {}, only_if_absent=public):
        run_chalice(project_dir, args.region, "deploy", "--stage", args.stage)
    _say(f"\nAPI: {api}\nRegister these webhook URLs with each provider (README, Deploy):")
    _say("\n".join(webhook_urls(api, args.stage)))
    _say(f"health: {health(api)}")
    return 0


def parse_parameters(pairs: list[str] | None) -> dict[str, str]:
    """`--parameter KEY=VALUE` pairs (a value may itself contain `=`)."""
    given = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DeployError(f"--parameter takes KEY=VALUE, not {pair!r}")
        given[key] = value
    return given


def _stack_resources(cloudformation: Any, name: str) -> list[dict]:
    resources: list[dict] = []
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name):
        resources.extend(page["StackResourceSummaries"])
    return resources


def _purge(session: Any, endpoint_url: str | None, resources: list[dict]) -> None:
    """Delete the tables and buckets the stack retained (Retain outlives the stack)."""
    from botocore.exceptions import ClientError

    dynamodb = client(session, "dynamodb", endpoint_url)
    s3 = client(session, "s3", endpoint_url)
    for resource in resources:
        physical, kind = resource.get("PhysicalResourceId"), resource["ResourceType"]
        try:
            if kind == "AWS::DynamoDB::Table":
                dynamodb.delete_table(TableName=physical)
                _say(f"deleted table {physical}")
            elif kind == "AWS::S3::Bucket":
                delete_bucket(s3, physical)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") != "ResourceNotFoundException":
                raise


def delete_bucket(s3: Any, bucket: str) -> None:
    """Empty the bucket (every version) and delete it; a bucket that is not there is fine."""
    from botocore.exceptions import ClientError

    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [{"Key": o["Key"], "VersionId": o["VersionId"]}
                      for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code", "") in ("NoSuchBucket", "404"):
            return
        raise
    _say(f"emptied and deleted bucket {bucket}")


def destroy(args: argparse.Namespace) -> int:
    """Functions first (they use the data), then the stack; the retained data only when asked, never for prod."""
    template = load_template()
    check_stage(args.stage, template)
    if args.stage == "prod" and args.confirm != "prod":
        raise DeployError("refusing to destroy prod: run `make destroy STAGE=prod CONFIRM=prod` "
                          "(tables and buckets are kept; --purge-data is never allowed for prod)")
    if args.stage == "prod" and args.purge_data:
        raise DeployError("--purge-data is refused for prod: its tables and buckets are kept")
    project_dir = Path(args.config).resolve().parent.parent
    recorded = (project_dir / ".chalice" / "deployed" / f"{args.stage}.json").exists()
    if not args.skip_chalice and recorded:
        run_chalice(project_dir, args.region, "delete", "--stage", args.stage)
    elif not args.skip_chalice:  # never deployed from here, or deleted already: nothing for chalice to delete
        _say(f"no .chalice/deployed/{args.stage}.json: no functions to delete")
    session = aws_session(args.region)
    cloudformation = client(session, "cloudformation", args.endpoint_url)
    name = stack_name(args.stage)
    # the template's staging bucket (only a template above the inline limit made one) holds nothing else
    delete_bucket(client(session, "s3", args.endpoint_url),
                  deploy_bucket(args.stage, caller_account(session, args.endpoint_url)))
    if _stack(cloudformation, name) is None:
        _say(f"stack {name} does not exist")
        return 0
    resources = _stack_resources(cloudformation, name)
    _say(f"deleting stack {name} ...")
    cloudformation.delete_stack(StackName=name)
    _wait(cloudformation, "stack_delete_complete", name)
    _say(f"stack {name} deleted")
    retained = [r for r in resources if r["ResourceType"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")]
    if args.purge_data:
        _purge(session, args.endpoint_url, retained)
    elif retained:
        _say(f"kept (DeletionPolicy Retain): {len(retained)} tables and buckets of stage {args.stage}; "
             "`make destroy STAGE=... PURGE=1` deletes them")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("deploy", "destroy"):
        command = sub.add_parser(name)
        command.add_argument("--stage", required=True)
        command.add_argument("--region", default=DEFAULT_REGION)
        command.add_argument("--endpoint-url", help="one endpoint for every AWS API (moto's server, offline)")
        command.add_argument("--skip-chalice", action="store_true", help="no chalice deploy / delete")
        command.add_argument("--config", default=str(DEFAULT_CONFIG), help="the .chalice/config.json to write")
    sub.choices["deploy"].add_argument("--mail-identity", default=DEFAULT_MAIL_IDENTITY,
                                       help="the verified SES domain or address replies are sent from")
    sub.choices["deploy"].add_argument("--parameter", action="append", metavar="KEY=VALUE",
                                       help="a data template parameter, e.g. AlarmEmail=ops@kota.go.id (repeatable; "
                                            "unset ones keep the stack's previous value)")
    sub.choices["destroy"].add_argument("--confirm", default="", help="the stage's name again (required for prod)")
    sub.choices["destroy"].add_argument("--purge-data", action="store_true",
                                        help="also delete the retained tables and buckets (not for prod)")
    args = parser.parse_args(argv)
    try:
        return deploy(args) if args.command == "deploy" else destroy(args)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
