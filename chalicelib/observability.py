"""The one Logger of the service (Powertools), the redaction every log line goes through, and the middleware that
gives every invocation its Lambda context, correlation ids and metrics flush (the metrics: `chalicelib/metrics.py`).

Names and phone numbers never reach the logs: call sites log case ids, actions, roles and counts only, and as a
second line of defence every record is redacted centrally just before it is written (UU PDP 27/2022):
- values of known personal keys (recipient, phone, email, sender_id, reporter_key, text, name, ...) become a
  keyed pseudonym `h:<12 hex>` (the same value gives the same pseudonym, so lines still correlate);
- provider message ids that embed a person or their message (`event_key`, `message_id`, e.g. `wa:wamid.…`,
  `mail:<Message-ID>`, `reply:tg:…`) keep their prefix and lose the rest to the pseudonym;
- phone numbers, e-mail addresses, `tel:`/`mail:`/`uid:` reporter keys, LINE user ids and WhatsApp message ids
  are masked wherever they appear in any string (the message, an exception's text, a stack trace).

Every function (API routes, scheduled jobs, stream handlers, plain Lambda functions) runs through `observe`, the
app-wide Chalice middleware (app.py): its lines carry the Lambda context (`function_name`, `function_request_id`,
`cold_start`, ...) and, for an API request, API Gateway's request id as `correlation_id`. Within one inbound
delivery's recording and processing, `correlation_id` is the delivery's event key as a keyed hash (`h:<12 hex>`,
the same hash its redacted `event_key` shows), and `case_id` names the case being worked on (`correlated`); the
phone number, e-mail or provider user id behind them never is a correlation id. A scheduled job's duration and
everything the invocation counted is flushed as EMF when it ends.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "aduan"

# keys whose values are personal data of a citizen (or an officer): always pseudonymised
SENSITIVE_KEYS = frozenset({
    "recipient", "recipients", "phone", "phone_number", "msisdn", "email", "e_mail", "mail", "from_address",
    "sender", "sender_id", "sender_name", "reporter", "reporter_key", "user_id", "userid", "line_user_id",
    "channel_user_id", "chat_id", "wa_id", "psid", "reply_to", "to_number", "from_number", "identifier",
    "subject_key", "text", "body", "description", "note", "title", "name", "display_name", "full_name",
    "address", "latitude", "longitude", "payload", "subject", "reply_token", "members", "password",
    "token", "authorization", "cookie", "ip", "source_ip",
})
# keys whose values are ids that may embed a provider's user or message id: keep a safe prefix, hash the rest
ID_KEYS = frozenset({"event_key", "message_id", "provider_id", "provider_message_id", "source_key", "media_key",
                     "outbox_id", "event_id", "mid", "wamid"})
# outbox ids of our own making that name only a case, a step or an officer: logged as they are
_SAFE_ID = re.compile(r"^(update|alert|digest|fallback):[\w.:#-]*$|^[A-Z0-9]{2,}-[\w-]+:reply:[\w-]+(#fallback)?$")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:tel|mail|uid):[^\s\"',;)\]}]+"), "key"),  # reporter keys
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "mail"),  # e-mail addresses (and Message-IDs)
    (re.compile(r"wamid\.[A-Za-z0-9_=+/-]+"), "wamid"),  # WhatsApp message ids embed the phone number
    (re.compile(r"\bU[0-9a-f]{32}\b"), "line"),  # LINE user ids
    (re.compile(r"(?<![\w.])\+?62[\s-]?8[\d\s-]{7,14}\d(?!\w)"), "tel"),  # Indonesian mobile, international
    (re.compile(r"(?<![\w.])08\d{7,12}(?!\w)"), "tel"),  # Indonesian mobile, national
    (re.compile(r"(?<![\w.])\+\d{8,15}(?!\w)"), "tel"),  # any E.164 number
)

_key: bytes | None = None
_loading = False
_FALLBACK_KEY = secrets.token_bytes(32)  # this process only: values still never appear, lines do not correlate


def _pseudonym_key() -> bytes:
    """Derived from the stage's session secret (so pseudonyms match across functions and in the audit trail);
    a random per-process key if settings cannot be read (then lines still never carry the value)."""
    global _key, _loading
    if _key is not None:
        return _key
    if _loading:  # a line logged while the settings themselves load
        return _FALLBACK_KEY
    _loading = True
    try:
        from chalicelib.settings import get_settings

        _key = hashlib.sha256(b"log-pseudonym:" + get_settings().session_secret.encode()).digest()
    except Exception:  # never let logging fail; try the settings again on the next line
        return _FALLBACK_KEY
    finally:
        _loading = False
    return _key


def reset_pseudonym_key() -> None:
    """Forget the derived key (tests that switch settings)."""
    global _key
    _key = None


def pseudonym(value: object) -> str:
    """A keyed, stable, non-reversible stand-in for a personal value: `h:` and 12 hex digits."""
    digest = hmac.new(_pseudonym_key(), str(value).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"h:{digest[:12]}"


def mask_text(text: str) -> str:
    """`text` with phone numbers, e-mail addresses, reporter keys and provider user/message ids pseudonymised."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(lambda m, label=label: f"[{label} {pseudonym(m.group(0))}]", text)
    return text


def redact_id(value: str) -> str:
    """An id that may embed a person: ours as it is; a provider's keeps its channel prefix only."""
    if _SAFE_ID.match(value):
        return value
    prefix, sep, _rest = value.partition(":")
    if sep and prefix.isalpha() and len(prefix) <= 8:
        if prefix == "reply":  # reply:<event key>
            inner, sep2, _ = _rest.partition(":")
            if sep2 and inner.isalpha() and len(inner) <= 8:
                return f"reply:{inner}:{pseudonym(value)}"
        return f"{prefix}:{pseudonym(value)}"
    return pseudonym(value)


def redact(value: Any, key: str | None = None, depth: int = 0) -> Any:
    """A copy of a log value with personal data pseudonymised (by key, then by pattern)."""
    lowered = key.lower() if isinstance(key, str) else None
    if lowered in SENSITIVE_KEYS and value not in (None, "", [], {}):
        if isinstance(value, int | float) and not isinstance(value, bool) and lowered in ("members",):
            return value  # a count of members, not who they are
        return pseudonym(value)
    if depth > 8:
        return "[depth]"
    if isinstance(value, str):
        if lowered in ID_KEYS:
            return redact_id(value)
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, k, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, key, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value), key, depth + 1)  # an exception, a date, any object: as the serializer would print it


class RedactingFilter(logging.Filter):
    """For plain `logging` handlers (local runs, third-party loggers): masks the message and extra values."""

    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            record.msg, record.args = mask_text(message), None
            for name, value in list(vars(record).items()):
                if name not in self._STANDARD:
                    setattr(record, name, redact(value, name))
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask_text(record.exc_text)
        except Exception:
            record.msg, record.args = "[log line withheld: redaction failed]", None
        return True


def _build_logger() -> Logger:
    """The service's Powertools Logger, every line formatted by `RedactingFormatter`."""
    # kept off the webhook's cold path: imported when the first line is logged
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class RedactingFormatter(LambdaPowertoolsFormatter):
        """Powertools' JSON formatter, redacting the whole structured record just before it is serialised (the
        message, every extra key, the exception text and stack trace)."""

        def serialize(self, log: dict) -> str:  # type: ignore[override]
            try:
                log = redact(log)
            except Exception:  # never lose a line to redaction: drop its content instead
                log = {"level": log.get("level"), "message": "[log line withheld: redaction failed]"}
            return super().serialize(log)

    return Logger(service=SERVICE, logger_formatter=RedactingFormatter())


class _ServiceLogger:
    """`logger`: the service's Logger, built on first use. An acknowledged webhook logs no line, so its cold start
    need not import Powertools and build the Logger (about 10 ms); the invocation keys `inject_lambda_context`
    sets meanwhile wait here and are appended when it is built. Every attribute (read, written or deleted) is
    the real Logger's, so callers use `logger` exactly as they would the Logger itself."""

    def __init__(self) -> None:
        object.__setattr__(self, "_built", None)
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_pending_keys", {})

    def _logger(self) -> Logger:
        built = self._built
        if built is None:
            with self._lock:
                built = self._built
                if built is None:
                    built = _build_logger()
                    built.append_keys(**self._pending_keys)
                    self._pending_keys.clear()
                    object.__setattr__(self, "_built", built)
        return built

    def set_invocation_keys(self, keys: dict[str, Any], correlation_id: str | None) -> None:
        """What `inject_lambda_context` sets: appended now if the Logger is built, else when it is."""
        with self._lock:
            built = self._built
            if built is None:  # no line yet, so no per-thread keys to forget either
                self._pending_keys.update(keys, correlation_id=correlation_id)
                return
        built.thread_safe_remove_keys(CORRELATION_KEYS)
        built.append_keys(**keys)
        built.set_correlation_id(correlation_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._logger(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._logger(), name)


_service_logger = _ServiceLogger()
logger: Logger = _service_logger  # type: ignore[assignment]  # used as the Logger it stands for

# ---------------------------------------------------------------- invocations: context, correlation, metrics

APP_NAME = "aduan"  # Chalice's app_name: deployed functions are named `<app>-<stage>-<function>`
CORRELATION_KEYS = ("correlation_id", "case_id")
_cold_start = True


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware of every function (registered for "all" in app.py): the Lambda context on every log
    line, a correlation id, a scheduled job's duration, and the invocation's metrics flushed when it ends."""
    from chalicelib import metrics

    if hasattr(event, "lambda_context"):  # an API request: `context` is API Gateway's request context
        lambda_context = event.lambda_context
        request_context = event.context if isinstance(event.context, Mapping) else {}
        correlation_id = request_context.get("requestId")
    else:  # a scheduled, stream or plain Lambda event
        lambda_context, correlation_id = getattr(event, "context", None), None
    inject_lambda_context(lambda_context, correlation_id)
    job = scheduled_job(event, lambda_context)
    started = time.perf_counter()
    try:
        return get_response(event)
    finally:
        if job:
            metrics.record_job_duration(job, (time.perf_counter() - started) * 1000)
        metrics.flush()


def inject_lambda_context(context: Any, correlation_id: str | None = None) -> None:
    """What Powertools' `inject_lambda_context` decorator does, for Chalice's one-argument handlers: the function's
    name, memory, ARN, request id and cold start on every line of this invocation; the last one's correlation
    id forgotten."""
    global _cold_start
    keys: dict[str, Any] = {"cold_start": _cold_start}
    _cold_start = False
    if context is not None:
        keys.update(
            function_name=getattr(context, "function_name", None),
            function_memory_size=getattr(context, "memory_limit_in_mb", None),
            function_arn=getattr(context, "invoked_function_arn", None) or None,
            function_request_id=getattr(context, "aws_request_id", None),
        )
    _service_logger.set_invocation_keys(keys, correlation_id)


def scheduled_job(event: Any, context: Any) -> str | None:
    """The job's name for a scheduled event (`aduan-dev-sync_aggregates` on AWS, `sync_aggregates` locally)."""
    if getattr(event, "detail_type", None) != "Scheduled Event" or context is None:
        return None
    name = str(getattr(context, "function_name", "") or "")
    prefix = f"{APP_NAME}-{os.environ.get('ADUAN_STAGE', '')}-"
    return name.removeprefix(prefix) or None


def delivery_ref(event_key: str) -> str:
    """The correlation id of an inbound delivery: its event key as a keyed hash (never the key itself)."""
    return pseudonym(event_key)


@contextmanager
def correlated(*, delivery: str | None = None, case: str | None = None) -> Iterator[None]:
    """Within the block (this thread only), lines carry `correlation_id` (the delivery's event key, hashed) and
    `case_id`; what was set before is back after it."""
    keys: dict[str, str] = {}
    if delivery:
        keys["correlation_id"] = delivery_ref(delivery)
    if case:
        keys["case_id"] = case
    if not keys:
        yield
        return
    before = logger.thread_safe_get_current_keys()
    saved = {k: before[k] for k in keys if k in before}
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys([k for k in keys if k not in saved])
        if saved:
            logger.thread_safe_append_keys(**saved)
