"""The one place that reads the environment.

Everything configurable per stage (table names, the local DynamoDB endpoint, the city's identity) comes
from environment variables that `.chalice/config.json` sets per stage, so the same code runs on AWS,
on dynalite (`make run`) and on moto (unit tests).

Nothing unsafe is assumed: `ADUAN_STAGE` must be set (no stage falls back to `local`), and only the `local`
and `test` stages may run with the public development session secret; any other stage without its own
secret stops at the first request with an error naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

VERSION = "0.1.0"
LOCAL_STAGES = ("local", "test")  # the only stages that may run with the public development secret
LOCAL_SESSION_SECRET = "local-development-secret-not-for-production"
SCRYPT_LN = 17  # OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1


@dataclass(frozen=True)
class Settings:
    stage: str
    version: str
    region: str
    table_prefix: str
    dynamodb_host: str | None
    city_code: str
    city_name: str
    session_secret: str
    session_ttl_seconds: int
    extra_non_working_days: tuple[str, ...]
    outbox_mode: str = "send"  # "send" to providers, or "capture" (local run: kept, shown, never sent)
    inbound_dispatch: str = "stream"  # how intake work starts after the ack: stream | thread | none
    attach_window_minutes: int = 30  # a sender's messages within this window join their newest case
    new_cases_per_hour: int = 5  # per sender; beyond it a polite reply instead of a new case
    sweep_grace_seconds: int = 30  # the sweeper leaves younger events to the stream / in-line worker
    admin_agency: str = "diskominfo"  # the admin koordinator's agency (ladder rung "admin")
    leadership_agency: str = "setda"  # Sekda / Wali Kota (ladder rung "leadership")
    web_idle_seconds: int = 7200  # an officer's web session ends after this long without a request
    web_absolute_seconds: int = 43200  # ... and this long after sign-in, whatever the activity
    session_check_seconds: int = 30  # how long a container trusts an officer's session version (API tokens)
    quiet_hours: str = "21:00-06:00"  # WIB: non-urgent officer alerts wait for the next working morning
    urgent_alerts: tuple[str, ...] = ()  # alert kinds (besides a new complaint) sent at once even at night
    line_monthly_quota: int = 0  # the LINE account's monthly push quota when LINE cannot be asked (0: unknown)
    line_quota_floor: int = 100  # below this many pushes left, personal non-urgent alerts wait for the digest
    max_hold_working_days: int = 14  # a hold (DITUNDA) ends at most this many working days ahead
    cap_starts: str = "verified"  # the 60-day cap counts from: verified (Perpres 76/2013: file complete) | received
    scrypt_ln: int = SCRYPT_LN  # password hashing cost, log2(N) of scrypt (lower only in the test stage)
    retention_days: int = 730  # a closed case keeps its personal data this long (UU PDP; docs/privacy.md)
    supervisors_manage_officers: bool = False  # supervisors may manage opd/supervisor officers of their own OPD

    def table_name(self, logical: str) -> str:
        """Physical table name of a logical table (`cases`, `outbox`, ...) for this stage."""
        return f"{self.table_prefix}{logical}"


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings once per process; tests call `reset_settings()` after changing the environment."""
    env = os.environ
    stage = _stage(env.get("ADUAN_STAGE", ""))
    secret = env.get("ADUAN_SESSION_SECRET", "") or _secret_from_secrets_manager(env.get("ADUAN_SESSION_SECRET_NAME"))
    if stage not in LOCAL_STAGES and (not secret or secret == LOCAL_SESSION_SECRET):
        raise RuntimeError(
            f"stage {stage!r} needs its own session secret: set ADUAN_SESSION_SECRET_NAME (a Secrets Manager "
            "secret) or ADUAN_SESSION_SECRET; the public development secret works only in the local and test stages"
        )
    secret = secret or LOCAL_SESSION_SECRET
    return Settings(
        stage=stage,
        version=env.get("ADUAN_VERSION", VERSION),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-southeast-3",
        table_prefix=env.get("ADUAN_TABLE_PREFIX", f"aduan-{stage}-"),
        dynamodb_host=env.get("ADUAN_DYNAMODB_HOST") or None,
        city_code=env.get("ADUAN_CITY_CODE", "KDR"),
        city_name=env.get("ADUAN_CITY_NAME", "Kota Kediri"),
        session_secret=secret,
        session_ttl_seconds=int(env.get("ADUAN_SESSION_TTL_SECONDS", "3600")),
        extra_non_working_days=_csv(env.get("ADUAN_EXTRA_NON_WORKING_DAYS", "")),
        outbox_mode=env.get("ADUAN_OUTBOX_MODE", "capture" if stage in ("local", "test") else "send"),
        inbound_dispatch=env.get("ADUAN_INBOUND_DISPATCH", "thread" if stage == "local" else "stream"),
        attach_window_minutes=int(env.get("ADUAN_ATTACH_WINDOW_MINUTES", "30")),
        new_cases_per_hour=int(env.get("ADUAN_NEW_CASES_PER_HOUR", "5")),
        sweep_grace_seconds=int(env.get("ADUAN_SWEEP_GRACE_SECONDS", "30")),
        admin_agency=env.get("ADUAN_ADMIN_AGENCY", "diskominfo"),
        leadership_agency=env.get("ADUAN_LEADERSHIP_AGENCY", "setda"),
        web_idle_seconds=int(env.get("ADUAN_WEB_IDLE_SECONDS", "7200")),
        web_absolute_seconds=int(env.get("ADUAN_WEB_ABSOLUTE_SECONDS", "43200")),
        session_check_seconds=int(env.get("ADUAN_SESSION_CHECK_SECONDS", "30")),
        quiet_hours=env.get("ADUAN_QUIET_HOURS", "21:00-06:00"),
        urgent_alerts=_csv(env.get("ADUAN_URGENT_ALERTS", "")),
        line_monthly_quota=int(env.get("ADUAN_LINE_MONTHLY_QUOTA", "0")),
        line_quota_floor=int(env.get("ADUAN_LINE_QUOTA_FLOOR", "100")),
        max_hold_working_days=int(env.get("ADUAN_MAX_HOLD_WORKING_DAYS", "14")),
        cap_starts=env.get("ADUAN_CAP_STARTS", "verified").strip().lower() or "verified",
        scrypt_ln=_scrypt_ln(stage, env.get("ADUAN_SCRYPT_LN", "")),
        retention_days=_retention_days(env.get("ADUAN_RETENTION_DAYS", "")),
        supervisors_manage_officers=env.get("ADUAN_SUPERVISORS_MANAGE_OFFICERS", "").strip().lower()
        in ("1", "true", "yes", "ya"),
    )


def _stage(value: str) -> str:
    """The stage is never guessed: without it the app could run a production table set with local defaults."""
    stage = value.strip()
    if not stage:
        raise RuntimeError(
            "ADUAN_STAGE is not set: set it to the stage this code runs as (local, test, dev, prod). "
            ".chalice/config.json sets it for every deployed stage and `make run` for the local one"
        )
    return stage


MIN_RETENTION_DAYS = 30


def _retention_days(value: str) -> int:
    """`ADUAN_RETENTION_DAYS`: whole days, at least MIN_RETENTION_DAYS (a typo must not erase last month)."""
    raw = value.strip()
    if not raw:
        return 730
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"ADUAN_RETENTION_DAYS must be a whole number of days, got {raw!r}")
    if int(raw) < MIN_RETENTION_DAYS:
        raise ValueError(f"ADUAN_RETENTION_DAYS must be at least {MIN_RETENTION_DAYS} days, got {raw}")
    return int(raw)


def _scrypt_ln(stage: str, value: str) -> int:
    """scrypt's cost, log2(N): OWASP's 17 unless ADUAN_SCRYPT_LN raises it (up to 20: 1 GiB of memory).

    Only the test stage may lower it (fast tests); elsewhere a lower value cannot weaken the hashes (a test
    run's environment reaching a local stack must not stop it either), so the floor stays."""
    if not value.strip():
        return SCRYPT_LN
    try:
        ln = int(value)
    except ValueError:
        raise RuntimeError(f"ADUAN_SCRYPT_LN must be a whole number, not {value!r}") from None
    if not 4 <= ln <= 20:
        raise RuntimeError(f"ADUAN_SCRYPT_LN must be between 4 and 20 (got {ln})")
    return ln if stage == "test" else max(ln, SCRYPT_LN)


def _secret_from_secrets_manager(name: str | None) -> str:
    """Read the session-signing secret once per container (Powertools caches it) — never from the code."""
    if not name:
        return ""
    from aws_lambda_powertools.utilities.parameters import get_secret

    return str(get_secret(name, max_age=3600))


def job_rate_minutes(job: str, default: int) -> int:
    """A scheduled job's rate for this stage (`ADUAN_RATE_<JOB>_MINUTES`), read when the app is assembled."""
    value = os.environ.get(f"ADUAN_RATE_{job.upper()}_MINUTES", "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def reset_settings() -> None:
    get_settings.cache_clear()


@dataclass(frozen=True)
class ChannelSettings:
    """Credentials and provider base URLs of every channel.

    Base URLs are settings so tests point them at a fake provider on loopback. Secrets come from the
    environment locally and from one Secrets Manager JSON secret (`ADUAN_CHANNEL_SECRETS_NAME`) on AWS.
    """

    line_channel_secret: str = ""
    line_access_token: str = ""
    line_api_base: str = "https://api.line.me"
    line_data_base: str = "https://api-data.line.me"
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    meta_page_token: str = ""
    whatsapp_access_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_template: str = "aduan_pembaruan_laporan"  # approved template for messages outside the 24 h window
    graph_base: str = "https://graph.facebook.com/v21.0"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    twilio_public_url: str = ""  # the exact URL Twilio calls (scheme, host, stage prefix, path)
    twilio_api_base: str = "https://api.twilio.com"
    twilio_media_host: str = "api.twilio.com"
    telegram_bot_token: str = ""
    telegram_secret_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    sms_gateway_name: str = "nusasms"
    sms_gateway_token: str = ""
    # "true": also accept the token as `?token=` (a gateway that cannot send a header; the URL is then logged)
    sms_gateway_query_token: str = ""
    sms_gateway_send_url: str = ""
    sms_gateway_api_key: str = ""
    mail_from: str = ""  # verified SES sender for e-mail replies, e.g. "Aduan Kota Kediri <aduan@kedirikota.go.id>"
    mail_bucket: str = ""  # where the SES receipt rule's S3 action stores incoming mail
    mail_prefix: str = "incoming/"  # that action's object key prefix
    media_bucket: str = ""  # S3 bucket for media on AWS
    media_dir: str = ".data/media"  # local stand-in for the bucket
    public_base_url: str = "http://127.0.0.1:8000"  # where citizens open /lacak/{nomor}


_CHANNEL_ENV = {name: f"ADUAN_{name.upper()}" for name in ChannelSettings.__dataclass_fields__}


@lru_cache(maxsize=1)
def get_channel_settings() -> ChannelSettings:
    env = os.environ
    values = {name: env[var] for name, var in _CHANNEL_ENV.items() if env.get(var)}
    secret_name = env.get("ADUAN_CHANNEL_SECRETS_NAME")
    if secret_name:
        import json

        from aws_lambda_powertools.utilities.parameters import get_secret

        stored = json.loads(str(get_secret(secret_name, max_age=3600)))
        values.update({k: str(v) for k, v in stored.items() if k in _CHANNEL_ENV and k not in values})
    return ChannelSettings(**values)


def opted_in(value: str) -> bool:
    """A yes/no channel setting (they are strings, like everything in the channels' secret)."""
    return value.strip().lower() in ("1", "true", "yes", "ya")


def reset_channel_settings() -> None:
    get_channel_settings.cache_clear()
