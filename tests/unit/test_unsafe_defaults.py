"""Nothing unsafe is assumed: no stage without ADUAN_STAGE, no public secret outside the local and test stages,
and no demo data (its passwords are public) outside them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_SECRET = "local-development-secret-not-for-production"


@pytest.fixture
def environment(monkeypatch):
    """Set the process environment for one `get_settings()`; everything is put back afterwards."""
    from chalicelib.settings import reset_settings

    for var in ("ADUAN_STAGE", "ADUAN_SESSION_SECRET", "ADUAN_SESSION_SECRET_NAME", "ADUAN_SCRYPT_LN",
                "ADUAN_TABLE_PREFIX", "ADUAN_OUTBOX_MODE"):
        monkeypatch.delenv(var, raising=False)

    def settings(**env: str):
        from chalicelib.settings import get_settings

        for var, value in env.items():
            monkeypatch.setenv(var, value)
        reset_settings()
        return get_settings()

    yield settings
    monkeypatch.undo()
    reset_settings()


def test_without_aduan_stage_the_app_stops_with_an_error_naming_the_variable(environment):
    with pytest.raises(RuntimeError, match="ADUAN_STAGE is not set"):
        environment()
    with pytest.raises(RuntimeError, match="ADUAN_STAGE is not set"):
        environment(ADUAN_STAGE="  ", ADUAN_SESSION_SECRET="a-secret-of-this-stage-only-0123456789")


@pytest.mark.parametrize("stage", ["dev", "prod", "staging"])
def test_a_deployed_stage_without_its_own_secret_stops_with_an_error_naming_the_variable(environment, stage):
    with pytest.raises(RuntimeError, match="ADUAN_SESSION_SECRET_NAME"):
        environment(ADUAN_STAGE=stage)


def test_a_deployed_stage_never_runs_with_the_public_local_secret(environment):
    with pytest.raises(RuntimeError, match="public development secret"):
        environment(ADUAN_STAGE="prod", ADUAN_SESSION_SECRET=PUBLIC_SECRET)


def test_a_deployed_stage_with_its_own_secret_runs_and_sends_for_real(environment):
    settings = environment(ADUAN_STAGE="prod", ADUAN_SESSION_SECRET="a-secret-of-this-stage-only-0123456789")

    assert (settings.stage, settings.outbox_mode, settings.table_prefix) == ("prod", "send", "aduan-prod-")
    assert settings.session_secret != PUBLIC_SECRET


@pytest.mark.parametrize("stage", ["local", "test"])
def test_only_the_local_and_test_stages_fall_back_to_the_public_secret(environment, stage):
    settings = environment(ADUAN_STAGE=stage)

    assert settings.session_secret == PUBLIC_SECRET and settings.outbox_mode == "capture"


def test_every_configured_stage_names_itself_and_deployed_ones_read_their_secret_from_secrets_manager():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())

    assert "ADUAN_STAGE" not in config.get("environment_variables", {})  # never one stage for all
    for name, stage in config["stages"].items():
        env = stage.get("environment_variables", {})
        assert env.get("ADUAN_STAGE") == name
        assert "ADUAN_SESSION_SECRET" not in env  # a secret never sits in the repository
        if name not in ("local", "test"):
            assert env.get("ADUAN_SESSION_SECRET_NAME") == f"aduan-{name}/session-secret"


def test_make_run_and_the_local_test_stacks_run_as_the_local_stage():
    from scripts.local_stack import app_environment

    env = app_environment("http://127.0.0.1:1", stage="local", base={})

    assert env["ADUAN_STAGE"] == "local"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_demo_data_refuses_to_load_outside_the_local_and_test_stages(ctx, stage):
    from demo.loader import load_demo_data

    deployed = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, stage=stage))
    before = ctx.directory.officer_with_password_hash("admin.kominfo")

    with pytest.raises(RuntimeError, match="demo data loads only in the local and test stages"):
        load_demo_data(deployed, with_sample_cases=True)

    assert ctx.directory.officer_with_password_hash("admin.kominfo") == before  # nothing was written
