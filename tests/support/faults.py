"""The fault-injection matrix engine, shared by `tests/unit/test_fault_matrix.py` and `bench/bench_faults.py`.

One fault at a time, at one call site: a botocore event hook on the clients PynamoDB and boto3 create
(`before-parameter-build` decides, `after-call` strikes after the write went through) and a wrapper around
`chalicelib.channels.http.perform` for the providers. A flow (intake, a workflow action, a job) is first run
clean to list its call sites and to take a reference snapshot of what it leaves behind; then, for each call
site and each fault, it is run again with that one fault, recovered the way production recovers (the caller
retries, the provider redelivers, the sweeper and the next job runs), and its snapshot compared with the
reference: a count below the reference is a loss, above it a duplicate. A job that raised because one item's
call failed is a job stop.

Labels name a call by service, operation, table (or index, bucket, path) and key, with this run's ids replaced
by their roles (`{case}`, `{user}`...) and an ordinal among calls with the same name, so they are the same in
every run and can serve as test ids.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.case import Action, Actor, Reporter, Role

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 23 November 2026, 09:00 WIB
FAULTS = ("throttle", "connect_timeout", "http500", "read_timeout_after_write", "http500_after_write")
AFTER_WRITE = frozenset({"read_timeout_after_write", "http500_after_write"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                    "PutObject", "SendEmail", "SendRawEmail", "POST"})
MEDIA_BUCKET = "aduan-fault-media"
MAIL_FROM = "Aduan Kota Kediri <aduan@kedirikota.go.id>"
SECRETS = {
    "line_channel_secret": "line-test-secret", "line_access_token": "line-test-token",
    "meta_app_secret": "meta-test-secret", "meta_verify_token": "meta-verify-token",
    "meta_page_token": "meta-page-token", "whatsapp_access_token": "wa-test-token",
    "whatsapp_phone_number_id": "1234567890", "twilio_account_sid": "ACtest",
    "twilio_auth_token": "twilio-test-token", "twilio_sms_from": "+15005550006",
    "twilio_whatsapp_from": "+14155238886", "twilio_public_url": "https://aduan.example.go.id/api/webhooks/twilio",
    "telegram_bot_token": "123:telegram-test", "telegram_secret_token": "telegram-secret-token",
    "sms_gateway_token": "gateway-secret-token-0123456789", "sms_gateway_api_key": "gateway-api-key",
}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


class Clock:
    """A clock moved by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


# ---------------------------------------------------------------- the injector


@dataclass
class Injector:
    """Records every AWS and provider call of a run; strikes one (label, fault) when it is met."""

    names: dict[str, str] = field(default_factory=dict)  # this run's ids -> roles
    target: tuple[str, str] | None = None
    fired: str | None = None  # the label struck
    calls: list[str] = field(default_factory=list)
    code: dict[str, tuple] = field(default_factory=dict)  # label -> the code that made the call
    seen: Counter = field(default_factory=Counter)
    deliveries: Counter = field(default_factory=Counter)  # outbox message id -> times the provider took it
    ambiguous: set[str] = field(default_factory=set)  # ids whose delivery the sender saw fail after the fact
    outbox_ids: set[str] = field(default_factory=set)  # outbox items written during the run
    current: str | None = None  # the outbox message being delivered
    line_keys: set[str] = field(default_factory=set)
    reply_tokens: set[str] = field(default_factory=set)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _prefix: str = ""

    # -- naming
    def canon(self, text: str) -> str:
        for real in sorted(self.names, key=len, reverse=True):
            text = text.replace(real, "{" + self.names[real] + "}")
        return text

    def _label(self, base: str, target: str) -> str:
        self.seen[base] += 1
        label = f"{base}#{self.seen[base]}"
        self.calls.append(label)
        self.code[label] = (target, *_code_site())
        return label

    def _strikes(self, label: str, operation: str) -> str | None:
        if self.target is None or self.fired or self.target[0] != label:
            return None
        fault = self.target[1]
        if fault in AFTER_WRITE and operation not in WRITES:
            return None
        self.fired = label
        return fault

    # -- install / remove
    def install(self) -> Injector:
        from chalicelib.store.aws import s3_client, ses_client
        from chalicelib.store.models import ALL_MODELS
        from chalicelib.store.tables import bind_models

        bind_models()
        from chalicelib.settings import get_settings

        self._prefix = get_settings().table_prefix
        clients = [s3_client(), ses_client()]
        for model in ALL_MODELS:
            keys = [model._hash_key_attribute().attr_name]
            if model._range_key_attribute() is not None:
                keys.append(model._range_key_attribute().attr_name)
            self._keys[model.Meta.table_name] = tuple(keys)
            clients.append(model._get_connection().connection.client)
        for client in {id(c): c for c in clients}.values():
            events = client.meta.events
            events.register("before-parameter-build", self._before, unique_id="aduan-fault-before")
            events.register("after-call", self._after, unique_id="aduan-fault-after")
            self._undo.append(lambda e=events: (
                e.unregister("before-parameter-build", unique_id="aduan-fault-before"),
                e.unregister("after-call", unique_id="aduan-fault-after")))
        import chalicelib.channels.http as http
        import chalicelib.services.outbound as outbound

        real_perform, real_deliver = http.perform, outbound.deliver
        http.perform = self._wrap_perform(real_perform)
        outbound.deliver = self._wrap_deliver(real_deliver)
        self._undo.append(lambda: setattr(http, "perform", real_perform))
        self._undo.append(lambda: setattr(outbound, "deliver", real_deliver))
        return self

    def remove(self) -> None:
        while self._undo:
            self._undo.pop()()

    # -- botocore hooks
    def _before(self, params: dict, model, context: dict, **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        if service == "dynamodb" and operation == "PutItem" and params.get("TableName", "").endswith("-cases"):
            self._name_case(params["Item"])
        where = self._describe(service, operation, params)
        label = self._label(f"{service}.{operation}:{where}", f"{service}.{operation}:{where.split('[', 1)[0]}")
        if service == "dynamodb" and operation == "PutItem" and params.get("TableName", "").endswith("outbox"):
            self.outbox_ids.add(params["Item"]["message_id"]["S"])
        context["fault_label"] = label
        fault = self._strikes(label, operation)
        if fault is None:
            return
        if fault in AFTER_WRITE:
            context["fault_after"] = fault
            return
        raise _aws_error(service, operation, fault)

    def _name_case(self, item: dict) -> None:
        """A case opened from a named event (its `source_key`) takes the event's role: event-a -> case-a."""
        case_id = item.get("case_id", {}).get("S", "")
        source = self.canon(item.get("source_key", {}).get("S", ""))
        if case_id and case_id not in self.names and source.startswith("{event-"):
            self.names[case_id] = "case-" + source[len("{event-"):].split("}", 1)[0]

    def _after(self, http_response, parsed, model, context: dict, **_: Any) -> None:
        ok = http_response is not None and http_response.status_code < 300
        if ok and model.name in ("SendEmail", "SendRawEmail") and self.current:
            self.deliveries[self.current] += 1
        fault = context.pop("fault_after", None)
        if fault and ok:
            if self.current and model.name in ("SendEmail", "SendRawEmail"):
                self.ambiguous.add(self.current)
            raise _aws_error(model.service_model.service_name, model.name, fault)

    def _describe(self, service: str, operation: str, params: dict) -> str:
        if service == "dynamodb":
            table = params.get("TableName") or ",".join(params.get("RequestItems", {}))
            where = table.replace(self._prefix, "")
            if params.get("IndexName"):
                where += "/" + params["IndexName"]
            key = ""
            if "Key" in params:
                key = _values(params["Key"])
            elif "Item" in params:
                names = self._keys.get(table, ())
                key = _values({k: params["Item"][k] for k in names if k in params["Item"]})
            elif operation == "Query":
                key = _values({":0": params.get("ExpressionAttributeValues", {}).get(":0", {})})
            elif operation == "BatchGetItem":
                key = ";".join(sorted(self.canon(_values(k)) for spec in params["RequestItems"].values()
                                      for k in spec["Keys"]))
                return f"{where}[{key}]"
            return f"{where}[{self.canon(key)}]"
        if service == "s3":
            return f"{params.get('Bucket')}[{self.canon(str(params.get('Key', '')))}]"
        if service == "ses":
            return f"[{self.canon(','.join(params.get('Destination', {}).get('ToAddresses', [])))}]"
        return ""

    # -- provider and outbound wrappers
    def _wrap_deliver(self, real):
        def deliver(ctx, message):
            self.current = message.message_id
            try:
                return real(ctx, message)
            finally:
                self.current = None
        return deliver

    def _wrap_perform(self, real):
        from chalicelib.channels.http import HttpResponse, TransportError

        def perform(request, *args, **kwargs):
            path = request.url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
            raw = request.body
            body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
            roles = sorted({r for real_id, r in self.names.items() if real_id in body or real_id in path})
            base = f"http.{request.method}:/{self.canon(path)}"
            label = self._label(f"{base}[{','.join(roles)}]", base)
            fault = self._strikes(label, request.method)
            if fault == "throttle":
                return HttpResponse(429, {}, b'{"message":"rate limited"}')
            if fault == "connect_timeout":
                raise TransportError("URLError: timed out (connect)")
            if fault == "http500":
                return HttpResponse(500, {}, b'{"message":"internal error"}')
            headers = {k.lower(): v for k, v in (request.headers or {}).items()}
            retry_key = headers.get("x-line-retry-key")
            if request.method == "POST" and retry_key and retry_key in self.line_keys:
                return HttpResponse(409, {}, b'{"message":"The retry key is already accepted"}')  # LINE's answer
            token = _reply_token(path, body)
            if token and token in self.reply_tokens:
                return HttpResponse(400, {}, b'{"message":"Invalid reply token"}')  # single use
            response = real(request, *args, **kwargs)
            if request.method == "POST" and 200 <= response.status < 300:
                if retry_key:
                    self.line_keys.add(retry_key)
                if token:
                    self.reply_tokens.add(token)
                if self.current:
                    self.deliveries[self.current] += 1
            if fault in AFTER_WRITE and self.current:
                self.ambiguous.add(self.current)
            if fault == "read_timeout_after_write":
                raise TransportError("TimeoutError: The read operation timed out")
            if fault == "http500_after_write":
                return HttpResponse(500, {}, b'{"message":"internal error"}')
            return response
        return perform


def _code_site() -> tuple[str, ...]:
    """Where the call comes from: the repository (or channel) line and the use-case line that led to it."""
    import sys

    frame = sys._getframe(2)
    store = service = ""
    while frame is not None and not (store and service):
        name = frame.f_code.co_filename
        if "/chalicelib/" in name:
            where = f"{name.rsplit('/chalicelib/', 1)[1]}:{frame.f_lineno}"
            if "/chalicelib/services/" in name:
                service = service or where
            else:
                store = store or where
        frame = frame.f_back
    return store, service


def _values(key: dict) -> str:
    parts = []
    for value in key.values():
        if isinstance(value, dict) and value:
            parts.append(str(next(iter(value.values()))))
    return "|".join(parts)


def _reply_token(path: str, body: str) -> str | None:
    if not path.endswith("/reply"):
        return None
    with suppress(ValueError, AttributeError):
        return json.loads(body).get("replyToken")
    return None


def _aws_error(service: str, operation: str, fault: str) -> Exception:
    from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

    endpoint = f"https://{service}.ap-southeast-3.amazonaws.com"
    if fault == "connect_timeout":
        return ConnectTimeoutError(endpoint_url=endpoint)
    if fault == "read_timeout_after_write":
        return ReadTimeoutError(endpoint_url=endpoint)
    if fault == "throttle":
        code, status = {"dynamodb": ("ProvisionedThroughputExceededException", 400), "s3": ("SlowDown", 503),
                        "ses": ("Throttling", 400)}.get(service, ("ThrottlingException", 400))
    else:
        code, status = {"dynamodb": ("InternalServerError", 500), "s3": ("InternalError", 500),
                        "ses": ("InternalFailure", 500)}.get(service, ("InternalFailure", 500))
    return ClientError({"Error": {"Code": code, "Message": f"injected {fault}"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


# ---------------------------------------------------------------- running a flow


@dataclass
class Run:
    """One run of a flow: its context, clock, injector and what the flow keeps between steps."""

    ctx: Any
    clock: Clock
    injector: Injector
    provider: Any
    token: str
    state: dict = field(default_factory=dict)
    raised: list[str] = field(default_factory=list)

    def name(self, real: str, role: str) -> str:
        self.injector.names[real] = role
        return real


@dataclass(frozen=True)
class Flow:
    """prepare (clean) -> act (the fault strikes here) -> recover -> snapshot."""

    name: str
    prepare: Callable[[Run], None]
    act: Callable[[Run], None]
    recover: Callable[[Run], None]
    snapshot: Callable[[Run], dict[str, Any]]
    listing: tuple[str, ...] = ()  # label prefixes of the job's own candidate queries (not an item's call)
    job: bool = False
    background: bool = True  # drain the queues before, and run the sweeper/sync/outbox jobs after
    covered_by: str | None = None  # skip the call sites that flow already has (the same code, same labels)
    keep: Callable[[str], bool] | None = None  # which of the remaining call sites to fault
    cold: bool = False  # a fresh context, as a cold Lambda has: the directory is read (and faulted) too


@dataclass(frozen=True)
class CellResult:
    flow: str
    label: str
    fault: str
    fired: bool
    losses: list[str]
    duplicates: list[str]
    ambiguous: list[str]
    job_stop: bool
    raised: list[str]

    @property
    def ok(self) -> bool:
        return self.fired and not self.losses and not self.duplicates and not self.job_stop


class Matrix:
    """Discovers each flow's call sites and reference snapshot, and runs single-fault cells."""

    def __init__(self, provider, media_root: str) -> None:
        self.provider = provider
        self.media_root = media_root
        self.reference: dict[str, dict] = {}
        self.sites: dict[str, list[str]] = {}
        self.code: dict[str, dict[str, tuple]] = {}
        self._warm = None

    def context(self, clock: Clock, cold: bool = False):
        """The app's context on `clock`, sending to the fake provider. A warm one shares the directory
        cache of earlier runs (as a warm Lambda does), a cold one reads the directory again."""
        from chalicelib.services.context import build_context, set_context
        from chalicelib.settings import ChannelSettings

        stale = self._warm is None or time.monotonic() - self._warm[1] > 240  # the cache lives 300 s
        if cold or stale:
            ctx = build_context(clock=clock)
            if not cold:
                for agency in ctx.agencies:  # loaded once (with every agency's officers), shared by the
                    ctx.officers_of(agency)  # warm runs that follow: their call sites do not depend on order
                self._warm = (ctx, time.monotonic())
        else:
            ctx = dataclasses.replace(self._warm[0], clock=clock)
        url = self.provider.url
        channels = ChannelSettings(
            **SECRETS, line_api_base=url, line_data_base=url, graph_base=url + "/v21.0", twilio_api_base=url,
            twilio_media_host="127.0.0.1", telegram_api_base=url, sms_gateway_send_url=url + "/gateway/send",
            media_dir=os.path.join(self.media_root, "media"), public_base_url="https://aduan.example.go.id",
            media_bucket=MEDIA_BUCKET, mail_from=MAIL_FROM,
        )
        # The figures live in memory here: their ~27 writes per case change would multiply the matrix's cells
        # and time (moto), and their own crash-safety is proven call by call in tests/unit/test_figures_exact.py.
        from tests.support.memory.figures import InMemoryFigureRepository

        ctx = dataclasses.replace(ctx, channels=channels, figures=InMemoryFigureRepository(),
                                  settings=dataclasses.replace(ctx.settings, outbox_mode="send",
                                                               inbound_dispatch="none"))
        set_context(ctx)
        return ctx

    def _run(self, flow: Flow, target: tuple[str, str] | None) -> tuple[Run, list[str]]:
        clock = Clock()
        ctx = self.context(clock, cold=flow.cold)
        self.provider.reset()
        run = Run(ctx, clock, Injector(), self.provider, uuid.uuid4().hex)
        run.name(run.token, "run")
        if flow.background:
            quiet(run)  # what earlier runs or tests left due is not this run's business
        run.injector.install()
        try:
            flow.prepare(run)
            start = len(run.injector.calls)
            run.injector.target = target
            try:
                flow.act(run)
            except Exception as error:  # the fault surfaced to the caller: recovery follows
                run.raised.append(f"{type(error).__name__}: {error}"[:200])
            sites = run.injector.calls[start:]
            run.injector.target = None
            flow.recover(run)
            if flow.background:
                settle(run)
            return run, sites
        finally:
            run.injector.remove()
            from chalicelib.services.context import set_context

            set_context(None)

    def discover(self, flow: Flow) -> list[str]:
        """Run the flow clean, twice (the first run creates what any later run finds: a month's aggregate
        items, counters): the second run's call sites, in order, and its snapshot as the reference."""
        if flow.background:
            self._run(flow, None)
        run, sites = self._run(flow, None)
        self.reference[flow.name] = flow.snapshot(run)
        self.code[flow.name] = {s: run.injector.code[s] for s in sites}
        self.sites[flow.name] = sites
        return sites

    def cells(self, flow: Flow) -> list[tuple[str, str]]:
        """(call site, fault) pairs: one call per line of code (a second recipient of the same enqueue is the
        same call site), the first item's calls for a job (the second item is the witness that the job goes
        on), and for a flow `covered_by` another only the sites that flow lacks."""
        sites = self.sites[flow.name] if flow.name in self.sites else self.discover(flow)
        code = self.code[flow.name]
        if flow.job:
            sites = [s for s in sites if not any(f"{role}-b" in s for role in ("case", "event", "user", "token"))]
        if flow.covered_by:
            other = self.sites.get(flow.covered_by) or self.discover(flows()[flow.covered_by])
            covered = {self.code[flow.covered_by][s] for s in other}
            sites = [s for s in sites if code[s] not in covered or (flow.keep is not None and flow.keep(s))]
        elif flow.keep is not None:
            sites = [s for s in sites if flow.keep(s)]
        seen: set[tuple] = set()
        distinct = []
        for site in sites:
            if code[site] not in seen:
                seen.add(code[site])
                distinct.append(site)
        return [(site, fault) for site in distinct for fault in FAULTS
                if fault not in AFTER_WRITE or site.split(":", 1)[0].split(".", 1)[1] in WRITES]

    def run_cell(self, flow: Flow, site: str, fault: str, reference: dict | None = None) -> CellResult:
        reference = reference if reference is not None else self.reference[flow.name]
        run, _ = self._run(flow, (site, fault))
        after = flow.snapshot(run)
        losses, duplicates, ambiguous = compare(reference, after, run.injector)
        listing = any(site.startswith(prefix) for prefix in flow.listing)
        job_stop = flow.job and bool(run.raised) and not listing
        return CellResult(flow.name, site, fault, run.injector.fired == site, losses, duplicates, ambiguous,
                          job_stop, run.raised)


def compare(reference: dict, after: dict, injector: Injector) -> tuple[list[str], list[str], list[str]]:
    """Losses (below the reference, or a different end state), duplicates (above), and deliveries repeated
    only because the provider took a message whose answer the sender never saw (no idempotency key)."""
    losses, duplicates, ambiguous = [], [], []
    unsure = {injector.canon(i) for i in injector.ambiguous}
    for key in sorted(set(reference) | set(after)):
        want, got = reference.get(key, 0), after.get(key, 0)
        if want == got:
            continue
        if isinstance(want, int) and isinstance(got, int):
            if got < want:
                losses.append(f"{key}: {got} < {want}")
            elif key.startswith("delivered:") and key.split(":", 1)[1] in unsure:
                ambiguous.append(f"{key}: {got} > {want}")
            else:
                duplicates.append(f"{key}: {got} > {want}")
        else:
            losses.append(f"{key}: {got!r} != {want!r}")
    return losses, duplicates, ambiguous


# ---------------------------------------------------------------- recovery helpers


def quiet(run: Run) -> None:
    """Drain what is due now (clean): the sweeper, the sync and the outbox jobs."""
    from chalicelib.services.intake import sweep_pending_events
    from chalicelib.services.outbound import send_due_messages
    from chalicelib.services.sync import sync_pending_cases

    for _ in range(3):
        worked = sum(sweep_pending_events(run.ctx, limit=1000).values())
        worked += sum(dataclasses.astuple(sync_pending_cases(run.ctx, limit=10_000)))
        worked += sum(send_due_messages(run.ctx, limit=1000).values())
        if not worked:
            return


def settle(run: Run, rounds: int = 8) -> None:
    """Production's background work after a fault: every few minutes the sweeper, the sync job and the outbox
    job, until a round finds nothing to do."""
    from chalicelib.services.intake import sweep_pending_events
    from chalicelib.services.outbound import send_due_messages
    from chalicelib.services.sync import sync_pending_cases

    for _ in range(rounds):
        run.clock.advance(minutes=3)
        worked = sweep_pending_events(run.ctx, limit=1000)["processed"]
        synced = sync_pending_cases(run.ctx, limit=10_000)
        worked += synced.synced + synced.changed_meanwhile  # a figures change left by a crash: taken over later
        worked += sum(v for k, v in send_due_messages(run.ctx, limit=1000).items() if k != "skipped")
        if not worked:
            return


def outbox_snapshot(run: Run) -> dict[str, Any]:
    """The end state of every outbox message the run wrote, and how often each reached the provider."""
    out: dict[str, Any] = {}
    inj = run.injector
    for message_id in sorted(inj.outbox_ids):
        message = run.ctx.outbox.get(message_id)
        out[f"outbox:{inj.canon(message_id)}"] = message.state if message else "missing"
        out[f"delivered:{inj.canon(message_id)}"] = inj.deliveries.get(message_id, 0)
    return out


def timeline_counts(case) -> Counter:
    return Counter(e.action.value for e in case.timeline) if case else Counter()


# ---------------------------------------------------------------- flows: intake


def _line_message(run: Run, role: str, text: str | None, **fields):
    from chalicelib.domain.messages import InboundMessage

    user = _line_user(run, role)
    run.state.setdefault("user", user)
    key = run.name(f"line:{role}{run.token}", f"event-{role}")
    token = run.name(f"rt-{role}-{run.token}", f"token-{role}")
    return InboundMessage(channel="line", event_key=key, sender_id=user, reply_to=user, received_at=run.ctx.now(),
                          text=text, reply_token=token, **fields)


def _deliver(run: Run, messages) -> None:
    """The webhook's durable write, then the in-line worker (what the stream does on AWS)."""
    from chalicelib.channels.base import ParsedDelivery
    from chalicelib.services.intake import process_event, record_delivery

    for key in record_delivery(run.ctx, ParsedDelivery(messages=tuple(messages))):
        process_event(run.ctx, key)


def _intake_prepare(kind: str) -> Callable[[Run], None]:
    def prepare(run: Run) -> None:
        if kind == "photo":
            media_id = run.name(f"m{run.token[:12]}", "media")
            run.provider.media[f"/v2/bot/message/{media_id}/content"] = JPEG
            message = _line_message(run, "a", None, kind="image", media_id=media_id)
        else:
            message = _line_message(run, "a", "Jalan berlubang di Jl. Dhoho, bahaya untuk motor")
        run.state["messages"] = [message]
    return prepare


def _intake_act(run: Run) -> None:
    _deliver(run, run.state["messages"])


def _intake_recover(run: Run) -> None:
    """The provider redelivers (it saw no 200, or it retries anyway); then the sweeper after the lease."""
    try:
        _deliver(run, run.state["messages"])
    except Exception as error:
        run.raised.append(f"redelivery: {type(error).__name__}")
    run.clock.advance(minutes=3)


def _intake_snapshot(run: Run) -> dict[str, Any]:
    out = outbox_snapshot(run)
    inj = run.injector
    reporter = f"uid:line:{run.state['user']}"
    case_ids = run.ctx.cases.list_by_reporter(reporter, limit=20)
    out["cases"] = len(case_ids)
    for case_id in case_ids:
        stored = run.ctx.messages.for_case(case_id)
        out[f"messages:{inj.canon(case_id)}"] = len(stored)
        out[f"media:{inj.canon(case_id)}"] = sum(1 for m in stored if m.media_key)
    for message in run.state["messages"]:
        record = run.ctx.events.get(message.event_key)
        out[f"event:{inj.canon(message.event_key)}"] = record.state if record else "missing"
    return out


def _sweep_prepare(run: Run) -> None:
    """Two deliveries recorded by webhooks whose worker never ran (the sweeper's work)."""
    from chalicelib.channels.base import ParsedDelivery
    from chalicelib.services.intake import record_delivery

    first = _line_message(run, "a", "Lampu PJU mati di Jl. Hayam Wuruk")
    second = _line_message(run, "b", "Sampah menumpuk di Pasar Setono Betek")
    run.state["users"] = [first.sender_id, second.sender_id]
    run.state["messages"] = [first, second]
    record_delivery(run.ctx, ParsedDelivery(messages=(first,)))
    run.clock.advance(seconds=1)  # the sweeper takes the oldest first: a before b, in every run
    record_delivery(run.ctx, ParsedDelivery(messages=(second,)))
    run.clock.advance(seconds=run.ctx.settings.sweep_grace_seconds + 1)


def _sweep_act(run: Run) -> None:
    from chalicelib.services.intake import sweep_pending_events

    sweep_pending_events(run.ctx, limit=1000)


def _sweep_snapshot(run: Run) -> dict[str, Any]:
    out = outbox_snapshot(run)
    inj = run.injector
    for message in run.state["messages"]:
        case_ids = run.ctx.cases.list_by_reporter(f"uid:line:{message.sender_id}", limit=20)
        out[f"cases:{inj.canon(message.sender_id)}"] = len(case_ids)
        for case_id in case_ids:
            out[f"messages:{inj.canon(case_id)}"] = len(run.ctx.messages.for_case(case_id))
        record = run.ctx.events.get(message.event_key)
        out[f"event:{inj.canon(message.event_key)}"] = record.state if record else "missing"
    return out


def _line_user(run: Run, role: str) -> str:
    return run.name("U" + role + run.token[: 32 - len(role)], "user-" + role)


# ---------------------------------------------------------------- flows: workflow actions

ADMIN = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
DPUPR = Actor("officer:petugas.dpupr", Role.OPD, "dpupr")
DPUPR_HEAD = Actor("officer:kabid.dpupr", Role.SUPERVISOR, "dpupr")
DLHKP = Actor("officer:petugas.dlhkp", Role.OPD, "dlhkp")


def _entry(run: Run, role: str, **fields):
    from chalicelib.services.workflow import create_case_from_entry

    case = create_case_from_entry(
        run.ctx, ADMIN, channel="telepon", description="Jalan berlubang di Jl. Dhoho depan toko",
        idempotency_key=f"fault-{role}-{run.token}", reporter=Reporter(name="Budi", phone="+6281234567890"),
        **fields)
    run.name(case.case_id, role)
    return case


def _to_state(run: Run, case, steps: list[str]):
    from chalicelib.services import workflow as wf

    for step in steps:
        if step == "forward":
            case = wf.forward_case(run.ctx, ADMIN, case.case_id, case.version, lead_agency="dpupr",
                                   supporting_agencies=("dlhkp",), note="Mohon segera ditangani.")
        elif step == "hold":
            case = wf.hold_case(run.ctx, ADMIN, case.case_id, case.version, note="Mohon lengkapi alamat.",
                                until=date(2026, 11, 27))
        elif step == "follow_up":
            case = wf.record_follow_up(run.ctx, DPUPR, case.case_id, case.version, note="Sudah ditambal.")
        elif step == "close":
            case = wf.close_case(run.ctx, ADMIN, case.case_id, case.version, note="Selesai ditambal.")
    return case


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    before: tuple[str, ...]
    call: Callable[[Run, Any], Any]


def _action_specs() -> dict[str, ActionSpec]:
    from chalicelib.services import workflow as wf

    def merge(run: Run, case):
        return wf.merge_case(run.ctx, ADMIN, case.case_id, case.version, into=run.state["target"],
                             note="Laporan yang sama.")

    return {
        "forward": ActionSpec(Action.FORWARD, (), lambda r, c: wf.forward_case(
            r.ctx, ADMIN, c.case_id, c.version, lead_agency="dpupr", note="Mohon ditangani.")),
        "hold": ActionSpec(Action.HOLD, (), lambda r, c: wf.hold_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Mohon lengkapi alamat.", until=date(2026, 11, 27))),
        "resume": ActionSpec(Action.RESUME, ("hold",), lambda r, c: wf.resume_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Alamat sudah lengkap.")),
        "reject": ActionSpec(Action.REJECT, (), lambda r, c: wf.reject_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Jalan nasional: wewenang BBPJN.")),
        "archive": ActionSpec(Action.ARCHIVE, (), lambda r, c: wf.archive_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Spam.")),
        "return": ActionSpec(Action.RETURN, ("forward",), lambda r, c: wf.return_case(
            r.ctx, DPUPR, c.case_id, c.version, note="Bukan wewenang DPUPR.")),
        "assign": ActionSpec(Action.ASSIGN, ("forward",), lambda r, c: wf.assign_case(
            r.ctx, DPUPR_HEAD, c.case_id, c.version, officer="petugas.dpupr")),
        "follow_up": ActionSpec(Action.FOLLOW_UP, ("forward",), lambda r, c: wf.record_follow_up(
            r.ctx, DPUPR, c.case_id, c.version, note="Sudah ditambal.")),
        "contribute": ActionSpec(Action.CONTRIBUTE, ("forward",), lambda r, c: wf.contribute_to_case(
            r.ctx, DLHKP, c.case_id, c.version, note="Saluran sudah dibersihkan.")),
        "withdraw": ActionSpec(Action.WITHDRAW, ("forward",), lambda r, c: wf.withdraw_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Salah disposisi.")),
        "redispose": ActionSpec(Action.REDISPOSE, ("forward",), lambda r, c: wf.redispose_case(
            r.ctx, ADMIN, c.case_id, c.version, lead_agency="dlhkp", note="Ke DLHKP.")),
        "close": ActionSpec(Action.CLOSE, ("forward", "follow_up"), lambda r, c: wf.close_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Selesai ditambal.")),
        "reopen": ActionSpec(Action.REOPEN, ("forward", "follow_up", "close"), lambda r, c: wf.reopen_case(
            r.ctx, ADMIN, c.case_id, c.version, note="Ternyata belum selesai.")),
        "merge": ActionSpec(Action.MERGE, (), merge),
    }


def _action_flow(name: str, spec: ActionSpec) -> Flow:
    cold = spec.action is Action.ASSIGN  # it reads the OPD's officers: from a cold directory, that read too

    def prepare(run: Run) -> None:
        case = _to_state(run, _entry(run, "case"), list(spec.before))
        if spec.action is Action.MERGE:
            run.state["target"] = _entry(run, "target").case_id
        run.state["case"] = case

    def act(run: Run) -> None:
        spec.call(run, run.state["case"])

    def recover(run: Run) -> None:
        """The officer's browser retries the same request (same version); on a conflict the officer reloads
        and acts again only if the action is not on the case yet."""
        from chalicelib.domain.errors import VersionConflict

        case = run.state["case"]
        wanted = timeline_counts(case)[spec.action.value] + 1
        for _ in range(3):
            try:
                spec.call(run, case)
                return
            except VersionConflict:
                fresh = run.ctx.cases.get(case.case_id)
                if timeline_counts(fresh)[spec.action.value] >= wanted:
                    return  # it was applied before the error reached the officer
                case = fresh
            except Exception as error:
                run.raised.append(f"retry: {type(error).__name__}")
        run.raised.append("retries exhausted")

    def snapshot(run: Run) -> dict[str, Any]:
        case = run.ctx.cases.get(run.state["case"].case_id)
        out: dict[str, Any] = {"status": case.status.value if case else "missing"}
        for action, count in timeline_counts(case).items():
            out[f"timeline:{action}"] = count
        if "target" in run.state:
            target = run.ctx.cases.get(run.state["target"])
            out["target_status"] = target.status.value if target else "missing"
            for action, count in timeline_counts(target).items():
                out[f"target_timeline:{action}"] = count
        for stored in (case, target if "target" in run.state else None):
            if stored is not None:  # the sync flow proves the sync: keep its queue short for everyone else
                run.ctx.cases.mark_synced(stored.case_id, stored.version)
        return out

    return Flow(f"action-{name}", prepare, act, recover, snapshot, background=False, cold=cold)


# ---------------------------------------------------------------- flows: jobs


def _escalation_prepare(run: Run) -> None:
    received = run.ctx.now() - timedelta(days=8)  # overdue: a before b, in every run
    cases = [_entry(run, "case-a", received_at=received - timedelta(days=1)),
             _entry(run, "case-b", received_at=received)]
    run.state["cases"] = [c.case_id for c in cases]
    quiet(run)


def _escalation_act(run: Run) -> None:
    from chalicelib.services.escalation import escalate_overdue

    escalate_overdue(run.ctx)


def _escalation_recover(run: Run) -> None:
    """The next scheduled runs."""
    from chalicelib.services.escalation import escalate_overdue

    run.clock.advance(minutes=5)
    try:
        escalate_overdue(run.ctx)
    except Exception as error:
        run.raised.append(f"next run: {type(error).__name__}")


def _cases_snapshot(run: Run) -> dict[str, Any]:
    out = outbox_snapshot(run)
    inj = run.injector
    pending = {case_id for case_id, _ in run.ctx.cases.ids_pending_sync(limit=10_000)}

    for case_id in run.state["cases"]:
        case = run.ctx.cases.get(case_id)
        role = inj.canon(case_id)
        out[f"status:{role}"] = case.status.value if case else "missing"
        for action, count in timeline_counts(case).items():
            out[f"timeline:{role}:{action}"] = count
        out[f"synced:{role}"] = int(case_id not in pending)
        out[f"figures:{role}"] = int(_figures_hold(run, case)) if case else 0
    return out


def _figures_hold(run: Run, case) -> bool:
    """The city's figures reflect this version of the case, with no change left half-done."""
    ledger = run.ctx.figures.ledger(case.case_id)
    return ledger.applied.version == case.version and ledger.change is None


def _sync_prepare(run: Run) -> None:
    from chalicelib.services import workflow as wf

    cases = []
    for role in ("case-a", "case-b"):
        case = _entry(run, role)
        case = wf.forward_case(run.ctx, ADMIN, case.case_id, case.version, lead_agency="dpupr",
                               supporting_agencies=("dlhkp",), note="Mohon segera ditangani.")
        cases.append(case.case_id)
        run.clock.advance(seconds=1)  # the pending-sync index lists a before b, in every run
    run.state["cases"] = cases


def _sync_act(run: Run) -> None:
    from chalicelib.services.sync import sync_pending_cases

    sync_pending_cases(run.ctx, limit=10_000)


def _sync_recover(run: Run) -> None:
    from chalicelib.services.sync import sync_pending_cases

    run.clock.advance(minutes=6)  # past the figures change's takeover time (a crashed worker's change)
    try:
        sync_pending_cases(run.ctx, limit=10_000)
    except Exception as error:
        run.raised.append(f"next run: {type(error).__name__}")


def _outbox_prepare(run: Run) -> None:
    from chalicelib.domain.messages import OutboundMessage

    now = run.ctx.now()
    specs = [
        ("line", run.name("U" + "0" * 8 + run.token[:24], "line-user"), {}),
        ("telegram", run.name(str(int(run.token[:10], 16)), "chat"), {}),
        ("email", run.name(f"warga.{run.token[:12]}@example.com", "mail"), {"subject": "Laporan Anda"}),
        ("sms", "+6281234567890", {}),
    ]
    ids = []
    for channel, recipient, options in specs:
        message_id = run.name(f"fault-{channel}-{run.token}", f"msg-{channel}")
        run.ctx.outbox.enqueue(OutboundMessage(
            message_id=message_id, channel=channel, recipient=recipient, body=f"Pesan uji {channel} {message_id}",
            created_at=now, purpose="fault", options=options))
        ids.append(message_id)
    run.state["messages"] = ids


def _outbox_act(run: Run) -> None:
    from chalicelib.services.outbound import send_due_messages

    send_due_messages(run.ctx, limit=1000)


def _outbox_recover(run: Run) -> None:
    from chalicelib.services.outbound import send_due_messages

    for _ in range(3):
        run.clock.advance(minutes=3)  # past the claim lease and the first retry delays
        try:
            send_due_messages(run.ctx, limit=1000)
        except Exception as error:
            run.raised.append(f"next run: {type(error).__name__}")


def flows() -> dict[str, Flow]:
    """Every flow of the matrix, by name."""
    found = [
        Flow("intake-text", _intake_prepare("text"), _intake_act, _intake_recover, _intake_snapshot, cold=True),
        Flow("intake-photo", _intake_prepare("photo"), _intake_act, _intake_recover, _intake_snapshot,
             covered_by="intake-text"),
        Flow("sweeper", _sweep_prepare, _sweep_act, lambda run: run.clock.advance(minutes=3), _sweep_snapshot,
             listing=("dynamodb.Query:inbound_events/",), job=True, covered_by="intake-text",
             keep=lambda site: ":inbound_events" in site or site.startswith("dynamodb.PutItem:cases")),
        *(_action_flow(name, spec) for name, spec in _action_specs().items()),
        Flow("escalation", _escalation_prepare, _escalation_act, _escalation_recover, _cases_snapshot,
             listing=("dynamodb.Query:cases/open-by-due",), job=True),
        Flow("outbox", _outbox_prepare, _outbox_act, _outbox_recover, outbox_snapshot,
             listing=("dynamodb.Query:outbox/due-outbox",), job=True),
        Flow("sync", _sync_prepare, _sync_act, _sync_recover, _cases_snapshot,
             listing=("dynamodb.Query:cases/pending-sync",), job=True),
    ]
    return {f.name: f for f in found}


# ---------------------------------------------------------------- environment and the whole matrix


def prepare_aws() -> None:
    """The bucket and the verified sender the matrix uses (on moto)."""
    from chalicelib.store.aws import s3_client, ses_client

    with suppress(Exception):
        s3_client().create_bucket(Bucket=MEDIA_BUCKET,
                                  CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_DEFAULT_REGION"]})
    ses_client().verify_email_identity(EmailAddress="aduan@kedirikota.go.id")


@contextmanager
def standalone() -> Iterator[Matrix]:
    """moto in-process with this stage's tables, the demo directory and the fake provider; the environment
    restored afterwards (for the bench, and for listing the cells when tests are collected)."""
    import tempfile

    from moto import mock_aws

    from chalicelib.observability import logger
    from tests.support.fake_provider import FakeProvider

    level = logger.log_level  # built (on first use) with the caller's level, before the environment changes
    saved = dict(os.environ)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="ap-southeast-3", ADUAN_STAGE="test", ADUAN_TABLE_PREFIX="aduan-test-",
                      POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "CRITICAL"))
    for name in ("ADUAN_DYNAMODB_HOST", "AWS_PROFILE"):
        os.environ.pop(name, None)
    from chalicelib.settings import reset_channel_settings, reset_settings
    from chalicelib.store.tables import create_tables, unbind_models

    reset_settings()
    reset_channel_settings()
    unbind_models()
    logger.setLevel("CRITICAL")  # every cell logs the failure it provokes: keep the figures readable
    provider = FakeProvider().start()
    try:
        with mock_aws(), tempfile.TemporaryDirectory() as root:
            create_tables()
            from chalicelib.services.context import build_context
            from demo.loader import load_demo_data

            load_demo_data(build_context(), with_sample_cases=False)
            prepare_aws()
            yield Matrix(provider, root)
    finally:
        provider.stop()
        logger.setLevel(level)
        os.environ.clear()
        os.environ.update(saved)
        reset_settings()
        reset_channel_settings()
        unbind_models()
        from chalicelib.services.context import set_context

        set_context(None)


def catalog() -> tuple[dict[str, list[tuple[str, str]]], dict[str, dict]]:
    """Every flow's cells and reference snapshot, discovered on a private moto."""
    with standalone() as matrix:
        cells = {name: matrix.cells(flow) for name, flow in flows().items()}
        return cells, dict(matrix.reference)


def run_all(matrix: Matrix) -> tuple[dict[str, float], list[CellResult]]:
    """The whole matrix: figures for `make bench`, and every cell's result."""
    started = time.monotonic()
    results = []
    for flow in flows().values():
        for site, fault in matrix.cells(flow):
            results.append(matrix.run_cell(flow, site, fault))
    figures = {
        "fault_cases": float(len(results)),
        "fault_losses": float(sum(1 for r in results if r.losses)),
        "fault_duplicates": float(sum(1 for r in results if r.duplicates)),
        "fault_job_stops": float(sum(1 for r in results if r.job_stop)),
        "fault_not_injected": float(sum(1 for r in results if not r.fired)),
        "fault_ambiguous_resends": float(sum(1 for r in results if r.ambiguous)),
        "fault_seconds": round(time.monotonic() - started, 1),
    }
    return figures, results
