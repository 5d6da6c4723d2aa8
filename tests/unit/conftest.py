"""Unit-test fixtures: moto in-process (no DynamoDB host), tables created once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.case import Actor, Role


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture(scope="session")
def aws() -> Iterator[None]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="ap-southeast-3",
        ADUAN_STAGE="test",
        ADUAN_SCRYPT_LN="10",  # fast password hashing; only the test stage may go below OWASP's 17
        ADUAN_TABLE_PREFIX="aduan-test-",
    )
    os.environ.pop("ADUAN_DYNAMODB_HOST", None)  # moto does not intercept a custom endpoint
    os.environ.pop("AWS_PROFILE", None)
    from moto import mock_aws

    from chalicelib.settings import reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    reset_settings()
    unbind_models()
    with mock_aws():
        create_tables()
        yield
    unbind_models()


@pytest.fixture(scope="session")
def demo_logins(aws):
    from chalicelib.services.context import build_context
    from demo.loader import load_demo_data

    return load_demo_data(build_context(), with_sample_cases=False)


@pytest.fixture
def clock() -> FrozenClock:
    # Monday 23 November 2026, 09:00 WIB
    return FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def demo_store(demo_logins):
    """The demo city's directory in memory, loaded once: each test's store starts from a copy of it."""
    from chalicelib.services.context import build_context
    from demo.loader import load_demo_data
    from tests.support.memory.store import MemoryStore

    context = build_context()
    store = MemoryStore(context.settings.city_code)
    load_demo_data(store.install(context), with_sample_cases=False)
    return store


@pytest.fixture
def ctx(request, demo_logins, demo_store, clock):
    """The context of a unit test: every repository in memory (`tests/support/memory/`, each proven to keep
    the DynamoDB repository's contract by `tests/unit/store_contract/`), a fresh store per test seeded with
    the demo city's directory. Tests marked `real_store` run on DynamoDB (moto) instead — the tests of code
    that reaches the tables below the repositories (privacy erasure, health, the table layout); tests marked
    `real_figures` keep only the figures on moto (the figures feature's own tests)."""
    from chalicelib.services.auth import _session_versions
    from chalicelib.services.context import build_context, set_context
    from chalicelib.services.quota import forget_quota
    from chalicelib.services.scorecard import forget_cached_scorecard
    from tests.support.memory.figures import InMemoryFigureRepository

    _session_versions.clear()  # a new store per test is a new container: nothing remembered of another's officers
    forget_quota()
    forget_cached_scorecard()
    context = build_context(clock=clock)
    real_store = request.node.get_closest_marker("real_store") is not None
    real_figures = request.node.get_closest_marker("real_figures") is not None
    if not real_store:
        demo_store.with_same_directory().install(context)
    if real_figures:
        from chalicelib.store.figures import FigureRepository

        context.figures = FigureRepository()
    elif real_store:
        context.figures = InMemoryFigureRepository()  # ~27 writes a case change: moto only where they are tested
    set_context(context)
    yield context
    set_context(None)
    if real_store:
        from chalicelib.services.sessions import client_key

        context.throttle.clear(client_key(context, "127.0.0.1"))  # the test client's address: no test inherits a wait


@pytest.fixture
def admin() -> Actor:
    return Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")


@pytest.fixture
def dpupr_officer() -> Actor:
    return Actor("officer:petugas.dpupr", Role.OPD, "dpupr")


@pytest.fixture
def dpupr_supervisor() -> Actor:
    return Actor("officer:kabid.dpupr", Role.SUPERVISOR, "dpupr")


@pytest.fixture
def dlhkp_officer() -> Actor:
    return Actor("officer:petugas.dlhkp", Role.OPD, "dlhkp")


@pytest.fixture
def leadership() -> Actor:
    return Actor("officer:sekda", Role.LEADERSHIP, "setda")


@pytest.fixture
def api(ctx):
    """Chalice's in-process test client over the real app, bound to the moto tables and frozen clock."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as client:
        yield client


@pytest.fixture
def login(api, demo_logins):
    """Log in as a demo officer by username; returns the Authorization headers."""
    import json

    passwords = {d.username: d.password for d in demo_logins}

    def _login(username: str) -> dict:
        response = api.http.post(
            "/api/auth/login",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"username": username, "password": passwords[username]}),
        )
        assert response.status_code == 200, response.body
        return {"Authorization": f"Bearer {response.json_body['token']}", "Content-Type": "application/json"}

    return _login


@pytest.fixture(scope="session")
def provider():
    """The fake provider API on loopback (LINE, Meta, Twilio, Telegram, SMS gateway paths)."""
    from tests.support.fake_provider import FakeProvider

    fake = FakeProvider().start()
    yield fake
    fake.stop()


TEST_SECRETS = {
    "line_channel_secret": "line-test-secret",
    "line_access_token": "line-test-token",
    "meta_app_secret": "meta-test-secret",
    "meta_verify_token": "meta-verify-token",
    "meta_page_token": "meta-page-token",
    "whatsapp_access_token": "wa-test-token",
    "whatsapp_phone_number_id": "1234567890",
    "twilio_account_sid": "ACtest",
    "twilio_auth_token": "twilio-test-token",
    "twilio_sms_from": "+15005550006",
    "twilio_whatsapp_from": "+14155238886",
    "twilio_public_url": "https://aduan.example.go.id/api/webhooks/twilio",
    "telegram_bot_token": "123:telegram-test",
    "telegram_secret_token": "telegram-secret-token",
    "sms_gateway_token": "gateway-secret-token-0123456789",
    "sms_gateway_api_key": "gateway-api-key",
}


@pytest.fixture
def intake_ctx(ctx, provider, tmp_path):
    """The unit context wired to send for real, to the fake provider, with test channel secrets."""
    import dataclasses

    from chalicelib.services.context import set_context
    from chalicelib.settings import ChannelSettings

    provider.reset()
    channels = ChannelSettings(
        **TEST_SECRETS,
        line_api_base=provider.url,
        line_data_base=provider.url,
        graph_base=provider.url + "/v21.0",
        twilio_api_base=provider.url,
        twilio_media_host="127.0.0.1",
        telegram_api_base=provider.url,
        sms_gateway_send_url=provider.url + "/gateway/send",
        media_dir=str(tmp_path / "media"),
        public_base_url="https://aduan.example.go.id",
    )
    wired = dataclasses.replace(
        ctx,
        channels=channels,
        settings=dataclasses.replace(ctx.settings, outbox_mode="send", inbound_dispatch="none"),
    )
    set_context(wired)
    yield wired
    set_context(ctx)


@pytest.fixture
def media_ctx(ctx, tmp_path):
    """The unit context with media (and the local outbox capture file beside it) under a temporary folder."""
    import dataclasses

    from chalicelib.services.context import set_context

    wired = dataclasses.replace(ctx, channels=dataclasses.replace(ctx.channels, media_dir=str(tmp_path / "media")))
    set_context(wired)
    yield wired
    set_context(ctx)


@pytest.fixture
def web_as(api, demo_logins):
    """Sign in to the officer web view as a demo officer, through the form: `web_as("petugas.dpupr")`."""
    from tests.unit.web_session import sign_in

    passwords = {d.username: d.password for d in demo_logins}
    return lambda username: sign_in(api, username, passwords[username])


@pytest.fixture
def alert_ctx(intake_ctx):
    """Alerts really sent to the fake provider (every demo officer by SMS); a second admin koordinator."""
    from chalicelib.domain.case import Role
    from chalicelib.domain.officer import Officer
    from chalicelib.services.auth import hash_password
    from tests.unit.alerting import GROUP, PHONES, made_cases, wib

    ctx = intake_ctx
    ctx.clock.set(wib(2026, 11, 24, 10, 0))  # Tuesday, office hours
    ctx.directory.put_officer(Officer("admin2.kominfo", "Admin Koordinator Dua", Role.ADMIN, "diskominfo",
                                      phone=PHONES["admin2.kominfo"]), hash_password("unused-password-2026"))
    ctx.forget_directory()
    yield ctx
    from chalicelib.store.models import OfficerRecord

    OfficerRecord("admin2.kominfo").delete()
    from chalicelib.store.models import CaseRecord

    while made_cases:
        CaseRecord._get_connection().delete_item(made_cases.pop())  # below Model.delete: no version check
    for username in PHONES:  # undo any preference a test set
        if username != "admin2.kominfo":
            ctx.directory.set_alert_preferences(username, kinds=None, quiet_hours=None, urgent_at_night=True,
                                                personal_with_group=False)
    ctx.line_groups.unbind("dpupr", GROUP)
    ctx.forget_directory()
