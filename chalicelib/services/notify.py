"""Messages that follow from what happened to a case: citizen updates and officer alerts.

They are derived from the case's timeline (every event after `notified_seq`, and a citizen's message that
joined an open case) and queued in the outbox under deterministic ids (`update:<case>:<seq>`,
`alert:<case>:<seq>:<recipient>`, `alert:<case>:msg:<event>:<recipient>`), so however often they are
derived — right after the action by `notify_now`, by the sync job, by the escalation job, concurrently or
after a crash — each reaches each recipient once (the conditional put, then the outbox claim).

Who is alerted of what (the actor is never alerted of their own action): a new complaint → the admin
koordinator; verify and forward → the lead and every supporting OPD; assignment → the assigned officer;
the citizen's reply, photo, dispute or completion of a held case (once the case is with an OPD) → the
assigned officer, else the lead OPD; return, merge, reopen by an officer → the admin koordinator; due-soon
and escalation → the rung's officers. An OPD with a LINE group gets ONE push in the group (plus personal
alerts to its officers who asked for them even so); without a group each officer is alerted personally
(LINE with SMS fallback, or SMS). Non-urgent alerts wait out quiet hours, weekends and holidays
(`chalicelib.domain.alerts.deliver_at`) in the outbox (`next_attempt_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.channels.registry import CHANNELS, sms_via
from chalicelib.domain.alerts import AlertKind, deliver_at, is_urgent, parse_kinds, parse_quiet_hours
from chalicelib.domain.calendar import WIB, format_date_id, format_moment_id
from chalicelib.domain.case import OFFICER_ENTRY_CHANNELS, Action, Case, Role, TimelineEvent
from chalicelib.domain.escalation import Rung
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.domain.officer import Officer
from chalicelib.domain.sla import earliest
from chalicelib.observability import logger
from chalicelib.services.context import Context
from chalicelib.services.local_sync import sync_soon
from chalicelib.services.replies import tracking_url

CITIZEN_UPDATES = {Action.CREATE, Action.FORWARD, Action.HOLD, Action.FOLLOW_UP, Action.CLOSE, Action.AUTO_CLOSE,
                   Action.REJECT, Action.MERGE, Action.REOPEN, Action.RESUME, Action.REDISPOSE}
ALERTS = {Action.ESCALATE, Action.WARN}
EXCERPT_LENGTH = 200
ALERT_MAX_AGE = timedelta(days=3)  # an event alert derived later than this (a long outage) is no news any more
OPD_STAFF = (Role.OPD, Role.SUPERVISOR)


@dataclass(frozen=True)
class Queued:
    message_id: str
    due_at: datetime
    new: bool


def queue_notifications(ctx: Context, case: Case) -> int:
    """Queue the messages of every timeline event not yet notified; returns how many were new."""
    return sum(q.new for q in _queue_events(ctx, case))


def notify_now(ctx: Context, case: Case, message: InboundMessage | None = None) -> int:
    """Queue the messages of the case's new events (and of a citizen's message that joined it) and send the
    ones due now at once. Never raises: the sync and outbox jobs finish whatever fails here."""
    ids = queue_now(ctx, case, message)
    send_now(ctx, ids)
    return len(ids)


def queue_now(ctx: Context, case: Case, message: InboundMessage | None = None, *, events: bool = True) -> list[str]:
    """Queue as `notify_now` does (`events=False`: only the message's alerts); returns the ids due now (for
    `send_now`). Never raises."""
    try:
        queued = _queue_events(ctx, case) if events else []
        if message is not None:
            queued += _message_alerts(ctx, case, message)
    except Exception:
        logger.exception("queueing notifications failed; the sync job will retry", extra={"case_id": case.case_id})
        return []
    sync_soon(ctx, case.case_id)  # local runs: the figures follow within a second (AWS: the stream)
    now = ctx.now()
    return [q.message_id for q in queued if q.due_at <= now]


def send_now(ctx: Context, message_ids: list[str]) -> None:
    """Try each message once now; a failure is logged and left to the outbox job (never raised)."""
    from chalicelib.services.outbound import send_outbound

    for message_id in message_ids:
        try:
            send_outbound(ctx, message_id)
        except Exception:
            logger.exception("immediate send failed; the outbox job will retry", extra={"message_id": message_id})


def _queue_events(ctx: Context, case: Case) -> list[Queued]:
    pending = [e for e in case.timeline if e.seq > case.notified_seq]
    queued: list[Queued] = []
    for event in pending:
        if event.action is Action.ESCALATE:
            # several missed rungs of one deadline (an outage): one alert naming the highest
            same = [e for e in pending if e.action is Action.ESCALATE and e.agency == event.agency]
            if event is same[-1]:
                queued += _escalation_alerts(ctx, case, same)
            continue
        if event.action is Action.WARN:
            queued += _warn_alerts(ctx, case, event)
            continue
        if event.action in CITIZEN_UPDATES and event.actor_role is not Role.CITIZEN:
            queued += _update_citizen(ctx, case, event)
        if event.at >= ctx.now() - ALERT_MAX_AGE:
            queued += _event_alerts(ctx, case, event)
    return queued


# ---------------------------------------------------------------- citizens


def citizen_route(ctx: Context, case: Case) -> tuple[str, str, dict] | None:
    """(channel, recipient, options) to reach the reporter: the provider of their own conversation first, else
    SMS, else e-mail."""
    provider = CHANNELS.for_case(case.channel.value, case.source_key)
    route = provider.citizen_route(case) if provider else None
    if route is not None:
        return route
    if case.reporter.phone:
        return "sms", case.reporter.phone, {"via": sms_route(ctx)}
    email = CHANNELS.named("email")
    return email.citizen_route(case) if email else None


def citizen_update_text(ctx: Context, case: Case, event: TimelineEvent) -> str | None:
    agency = ctx.agencies.get(case.lead_agency) if case.lead_agency else None
    number = case.case_id
    note = event.note.strip() if event.public and not case.confidential else ""
    if event.action is Action.CREATE:
        if case.channel not in OFFICER_ENTRY_CHANNELS:
            return None  # a chat or web complaint got its number in the answer to the message itself
        return (f"Laporan Anda yang kami terima lewat {case.channel.label.lower()} pada "
                f"{format_date_id(case.received_at.astimezone(WIB).date())} sudah dicatat dengan nomor {number}. "
                f"Pantau perkembangannya di {tracking_url(ctx.channels.public_base_url, number)}.")
    if event.action is Action.FORWARD:
        where = f" ke {agency.name}" if agency else ""
        return f"Laporan {number} telah diverifikasi dan diteruskan{where} untuk ditindaklanjuti."
    if event.action is Action.REDISPOSE:
        before = case.disposition_before(event.seq)
        lead = event.agencies[0] if event.agencies else None
        if not lead or (before and before[0] == lead):
            return None  # only the supporting OPDs changed: nothing the citizen needs to hear
        found = ctx.agencies.get(lead)
        return f"Laporan {number} dialihkan ke {found.name if found else lead} untuk ditindaklanjuti."
    if event.action is Action.HOLD:
        return f"Laporan {number} menunggu kelengkapan dari Anda{': ' + note if note else ''}. Balas pesan ini."
    if event.action is Action.FOLLOW_UP:
        # The citizen confirms or disputes by replying (chalicelib.services.intake, domain.replies_rules).
        done = f": {note}{'' if note[-1:] in '.!?' else '.'}" if note else " telah dicatat."
        return (f"Tindak lanjut laporan {number}{done} "
                "Apakah masalahnya sudah selesai? Balas 1 jika sudah selesai, atau 2 jika belum. "
                "Untuk laporan baru, kirim BARU diikuti isi laporan.")
    if event.action in (Action.CLOSE, Action.AUTO_CLOSE):
        _record_rating_request(ctx, case, event)
        return (f"Laporan {number} dinyatakan selesai. Mohon beri nilai pelayanan kami dengan membalas "
                "angka 1 (buruk) sampai 5 (sangat baik).")
    if event.action is Action.REJECT:
        return f"Laporan {number} bukan wewenang Pemerintah {ctx.settings.city_name}{': ' + note if note else '.'}"
    if event.action is Action.MERGE:
        return f"Laporan {number} digabung dengan laporan {case.merged_into}, yang akan terus kami tindak lanjuti."
    if event.action in (Action.REOPEN, Action.RESUME):
        return f"Laporan {number} diproses kembali."
    return None


def _record_rating_request(ctx: Context, case: Case, event: TimelineEvent) -> None:
    """The "beri nilai" message is being queued: a bare 1-5 from this person on that channel now rates this
    case (never a newer one). Never raises: the update must go out even if this write fails."""
    route = citizen_route(ctx, case)
    if route is None or not case.reporter.key or case.rating is not None:
        return
    try:
        ctx.rating_requests.record(case.reporter.key, route[0], case.case_id, event.at)
    except Exception:
        logger.exception("rating request not recorded", extra={"case_id": case.case_id})


def _update_citizen(ctx: Context, case: Case, event: TimelineEvent) -> list[Queued]:
    route = citizen_route(ctx, case)
    text = citizen_update_text(ctx, case, event)
    if route is None or text is None:
        return []
    channel, recipient, options = route
    message_id = f"update:{case.case_id}:{event.seq}"
    new = ctx.outbox.enqueue(OutboundMessage(
        message_id=message_id, channel=channel, recipient=recipient, body=text,
        created_at=ctx.now(), case_id=case.case_id, purpose=event.action.value, options=options,
    ))
    return [Queued(message_id, ctx.now(), new)]


# ---------------------------------------------------------------- officers


def rung_recipients(ctx: Context, case: Case, rung: Rung, agency: str | None = None) -> list[Officer]:
    """Who stands on a rung of this case's ladder (active officers only); with `agency`, of the ladder of
    that supporting OPD's contribution (its own officers and supervisor)."""
    def of(agency: str | None, role: Role) -> list[Officer]:
        return [o for o in ctx.officers_of(agency) if o.role is role and o.active] if agency else []

    if rung is Rung.OFFICER:
        if agency is not None:
            return of(agency, Role.OPD)
        staff = of(case.lead_agency, Role.OPD)
        assigned = [o for o in staff if o.username == case.assigned_officer]
        return assigned or staff
    if rung is Rung.SUPERVISOR:
        return of(agency or case.lead_agency, Role.SUPERVISOR)
    if rung is Rung.ADMIN:
        return of(ctx.settings.admin_agency, Role.ADMIN)
    return of(ctx.settings.leadership_agency, Role.LEADERSHIP)


def officer_route(ctx: Context, officer: Officer) -> tuple[str, str, dict] | None:
    """The channel the officer chose when it can reach them (a linked LINE account, an e-mail address), with
    SMS as its fallback; else SMS."""
    sms = ("sms", officer.phone, {"via": sms_route(ctx)}) if officer.phone else None
    fallback = {"fallback": {"channel": sms[0], "recipient": sms[1], "options": sms[2]}} if sms else {}
    provider = CHANNELS.named(officer.alert_channel) if officer.alert_channel else None
    route = provider.alert_route(officer, f"[Aduan] Peringatan {ctx.settings.city_name}") if provider else None
    if route is not None:
        channel, recipient, options = route
        return channel, recipient, {**options, **fallback}
    return sms


def sms_route(ctx: Context) -> str:
    """Which provider sends SMS to a number no conversation ties to one (`via`)."""
    return sms_via(ctx.channels)


# ---------------------------------------------------------------- officer alerts: who


def admin_coordinators(ctx: Context) -> list[Officer]:
    return [o for o in ctx.officers_of(ctx.settings.admin_agency) if o.role is Role.ADMIN and o.active]


def queue_for_admins(ctx: Context, key: str, text: str, purpose: str) -> list[str]:
    """Queue a notice (not about one case) to every admin koordinator under `<key>:<username>`: queued once
    per admin whatever retries happen. Returns the ids, for the caller to try sending at once."""
    queued = []
    for officer in admin_coordinators(ctx):
        route = officer_route(ctx, officer)
        if route is None:
            continue
        channel, recipient, options = route
        message_id = f"{key}:{officer.username}"
        ctx.outbox.enqueue(OutboundMessage(
            message_id=message_id, channel=channel, recipient=recipient, body=text, created_at=ctx.now(),
            purpose=purpose, options=options,
        ))
        queued.append(message_id)
    return queued


def opd_staff(ctx: Context, agency: str) -> list[Officer]:
    return [o for o in ctx.officers_of(agency) if o.role in OPD_STAFF and o.active]


def wants(officer: Officer, kind: AlertKind) -> bool:
    """Whether the officer takes alerts of this kind (every kind unless they chose; escalations always)."""
    return not kind.optional or officer.alert_kinds is None or kind.value in officer.alert_kinds


@dataclass(frozen=True)
class _Alert:
    kind: AlertKind
    key: str  # "<seq>" or "msg:<event>": the id is alert:<case>:<key>:<recipient>
    text: str
    purpose: str
    actor_id: str | None = None  # the officer who caused it (never alerted of their own action)


def _event_alerts(ctx: Context, case: Case, event: TimelineEvent) -> list[Queued]:
    key, actor = str(event.seq), event.actor_id
    by_officer = event.actor_role not in (Role.CITIZEN, Role.SYSTEM)
    if event.action is Action.CREATE:
        headline = f"Laporan baru {case.case_id} masuk lewat {case.channel.label}. Mohon diverifikasi."
        alert = _Alert(AlertKind.NEW, key, alert_text(ctx, case, headline), "alert:new", actor)
        return _to_officers(ctx, case, admin_coordinators(ctx), alert)
    if event.action is Action.FORWARD:
        queued = []
        for agency in (case.lead_agency, *case.supporting_agencies):
            if not agency:
                continue
            role = "OPD utama" if agency == case.lead_agency else "OPD pendukung"
            headline = f"Laporan {case.case_id} didisposisikan ke {agency_short_name(ctx, agency)} sebagai {role}."
            text = alert_text(ctx, case, headline, note=event.note, due_for=agency)
            alert = _Alert(AlertKind.FORWARD, key, text, "alert:forward", actor)
            queued += _to_agency(ctx, case, agency, alert)
        return queued
    if event.action in (Action.REDISPOSE, Action.WITHDRAW):
        return _disposition_alerts(ctx, case, event)
    if event.action is Action.CONTRIBUTE:
        who = agency_short_name(ctx, event.actor_agency) if event.actor_agency else "OPD pendukung"
        headline = f"{who} mencatat kontribusi untuk laporan {case.case_id} (OPD pendukung)."
        text = alert_text(ctx, case, headline, note=event.note)
        return _to_lead(ctx, case, _Alert(AlertKind.CONTRIBUTION, key, text, "alert:contribution", actor))
    if event.action is Action.ASSIGN:
        assigned = [o for o in opd_staff(ctx, case.lead_agency or "") if o.username == case.assigned_officer]
        headline = f"Laporan {case.case_id} ditugaskan kepada Anda."
        alert = _Alert(AlertKind.ASSIGN, key, alert_text(ctx, case, headline, note=event.note), "alert:assign", actor)
        return _to_officers(ctx, case, assigned, alert)
    if event.action in (Action.REOPEN, Action.RESUME, Action.CONFIRM, Action.RESPOND) \
            and event.actor_role is Role.CITIZEN:
        if not case.lead_agency:
            return []
        headline = {
            Action.REOPEN: f"Pelapor menyanggah tindak lanjut laporan {case.case_id}; laporan dibuka kembali.",
            Action.RESUME: f"Pelapor melengkapi laporan {case.case_id}; laporan dilanjutkan.",
            Action.CONFIRM: f"Pelapor mengonfirmasi laporan {case.case_id} sudah selesai; laporan ditutup.",
            Action.RESPOND: f"Pelapor menanggapi tindak lanjut laporan {case.case_id} (status tidak berubah).",
        }[event.action]
        text = alert_text(ctx, case, headline, excerpt=event.note, excerpt_label="Pesan pelapor")
        return _to_lead(ctx, case, _Alert(AlertKind.CITIZEN, key, text, "alert:citizen", actor))
    if event.action is Action.RETURN:
        who = agency_short_name(ctx, event.actor_agency) if event.actor_agency else "OPD"
        headline = f"Laporan {case.case_id} dikembalikan oleh {who}. Mohon didisposisikan ulang."
        alert = _Alert(AlertKind.RETURN, key, alert_text(ctx, case, headline, note=event.note), "alert:return", actor)
        return _to_officers(ctx, case, admin_coordinators(ctx), alert)
    if event.action is Action.MERGE:
        headline = f"Laporan {case.case_id} digabung dengan laporan {case.merged_into}."
        alert = _Alert(AlertKind.MERGE, key, alert_text(ctx, case, headline), "alert:merge", actor)
        return _to_officers(ctx, case, admin_coordinators(ctx), alert)
    if event.action is Action.RESUME and event.actor_role is Role.SYSTEM:
        # a hold ran out: the admin koordinator hears of it (alert:<case>:<seq>:<admin>, so once)
        headline = f"Masa tunda laporan {case.case_id} berakhir; jam SLA berjalan lagi."
        alert = _Alert(AlertKind.WARN, key, alert_text(ctx, case, headline, note=event.note), "alert:hold_ended",
                       actor)
        return _to_officers(ctx, case, admin_coordinators(ctx), alert)
    if event.action is Action.REOPEN and by_officer:
        headline = f"Laporan {case.case_id} dibuka kembali oleh {event.actor_role.label.lower()}."
        alert = _Alert(AlertKind.REOPEN, key, alert_text(ctx, case, headline, note=event.note), "alert:reopen",
                       actor)
        return _to_officers(ctx, case, admin_coordinators(ctx), alert)
    return []


def _disposition_alerts(ctx: Context, case: Case, event: TimelineEvent) -> list[Queued]:
    """After the admin changes who works on a case: an OPD that is new to it, or whose part changed, hears
    what it has now; an OPD that no longer has it hears that it was released."""
    before = case.disposition_before(event.seq)
    after = event.agencies if event.action is Action.REDISPOSE else ()
    old_role = {a: ("OPD utama" if i == 0 else "OPD pendukung") for i, a in enumerate(before)}
    new_role = {a: ("OPD utama" if i == 0 else "OPD pendukung") for i, a in enumerate(after)}
    queued = []
    for agency in [*after, *(a for a in before if a not in new_role)]:
        if not agency or old_role.get(agency) == new_role.get(agency):
            continue
        if agency in new_role:
            headline = (f"Disposisi laporan {case.case_id} diubah: {agency_short_name(ctx, agency)} kini sebagai "
                        f"{new_role[agency]}.")
        else:
            how = "ditarik kembali oleh admin koordinator" if event.action is Action.WITHDRAW else "dialihkan"
            headline = f"Laporan {case.case_id} {how}; {agency_short_name(ctx, agency)} tidak lagi menanganinya."
        text = alert_text(ctx, case, headline, note=event.note, due_for=agency if agency in new_role else None)
        queued += _to_agency(ctx, case, agency, _Alert(AlertKind.FORWARD, str(event.seq), text, "alert:forward",
                                                       event.actor_id))
    return queued


MESSAGE_KINDS = {"image": "foto baru", "video": "video baru", "audio": "pesan suara", "file": "berkas baru",
                 "location": "lokasi"}


def _message_alerts(ctx: Context, case: Case, message: InboundMessage) -> list[Queued]:
    """A citizen's message joined an open case that is already with an OPD: tell that OPD."""
    if not case.is_open or not case.lead_agency or message.kind in ("sticker", "other", "unsend"):
        return []
    key = f"msg:{message.channel}:set:{message.group_key}" if message.group_key else f"msg:{message.event_key}"
    what = MESSAGE_KINDS.get(message.kind, "pesan baru")
    headline = f"Pelapor mengirim {what} untuk laporan {case.case_id}."
    text = alert_text(ctx, case, headline, excerpt=message.text or "", excerpt_label="Pesan pelapor")
    return _to_lead(ctx, case, _Alert(AlertKind.CITIZEN, key, text, "alert:citizen"))


def _warn_alerts(ctx: Context, case: Case, event: TimelineEvent) -> list[Queued]:
    if event.agency is not None:  # a supporting OPD's contribution deadline
        text = (f"[Aduan] Batas waktu kontribusi {agency_short_name(ctx, event.agency)} (OPD pendukung) untuk laporan "
                f"{case.case_id} berakhir {_due(case, event.agency)}. Mohon segera dicatat.\n"
                f"Buka: {case_link(ctx, case)}")
        alert = _Alert(AlertKind.WARN, str(event.seq), text, f"{event.action.value}:{Rung.OFFICER.value}")
        return _to_officers(ctx, case, rung_recipients(ctx, case, Rung.OFFICER, event.agency), alert)
    rung = Rung.OFFICER if case.lead_agency else Rung.ADMIN
    text = (f"[Aduan] Batas waktu laporan {case.case_id} berakhir {_due(case)}. Mohon segera ditindaklanjuti.\n"
            f"Buka: {case_link(ctx, case)}")
    alert = _Alert(AlertKind.WARN, str(event.seq), text, f"{event.action.value}:{rung.value}")
    return _to_officers(ctx, case, rung_recipients(ctx, case, rung), alert)


def _escalation_alerts(ctx: Context, case: Case, events: list[TimelineEvent]) -> list[Queued]:
    """One alert per recipient for the escalations not yet notified, naming the highest rung (the others,
    missed during an outage, are listed), to everyone on those rungs."""
    top = events[-1]
    agency = top.agency  # a supporting OPD's contribution deadline, or None for the case's own
    rungs = [Rung(e.rung) if e.rung else Rung.ADMIN for e in events]
    due = _due(case, agency)
    what = f"batas waktu kontribusi {agency_short_name(ctx, agency)} (OPD pendukung)" if agency else "batas waktu"
    if len(events) == 1:
        text = (f"[Aduan] Laporan {case.case_id} melewati {what} ({due}) dan dieskalasi kepada Anda "
                f"sebagai {rungs[0].label} ({_wib(top.at)}). Mohon segera ditindaklanjuti.")
    else:
        missed = ", ".join(f"{r.label} ({_wib(e.at)})" for r, e in zip(rungs[:-1], events[:-1], strict=True))
        text = (f"[Aduan] Laporan {case.case_id} melewati {what} ({due}) dan kini dieskalasi sampai "
                f"{rungs[-1].label} ({_wib(top.at)}). Tahap yang terlewat: {missed}. Mohon segera ditindaklanjuti.")
    text += f"\nBuka: {case_link(ctx, case)}"
    recipients: dict[str, Officer] = {}
    for rung in rungs:
        for officer in rung_recipients(ctx, case, rung, agency):
            recipients.setdefault(officer.username, officer)
    alert = _Alert(AlertKind.ESCALATE, str(top.seq), text, f"{Action.ESCALATE.value}:{rungs[-1].value}")
    return _to_officers(ctx, case, list(recipients.values()), alert)


# ---------------------------------------------------------------- officer alerts: how and when


def _to_lead(ctx: Context, case: Case, alert: _Alert) -> list[Queued]:
    """The assigned officer first, else the lead OPD (its group, or its officers)."""
    staff = opd_staff(ctx, case.lead_agency or "")
    assigned = [o for o in staff if o.username == case.assigned_officer]
    if assigned:
        return _to_officers(ctx, case, assigned, alert)
    return _to_agency(ctx, case, case.lead_agency or "", alert)


def _to_agency(ctx: Context, case: Case, agency: str, alert: _Alert) -> list[Queued]:
    """ONE push in the OPD's LINE group when it has one (plus personal alerts to those of its officers who
    asked for them even so); else each of its officers personally."""
    staff = opd_staff(ctx, agency)
    binding = ctx.line_groups.binding(agency)
    if binding is None:
        return _to_officers(ctx, case, staff, alert)
    personal = _to_officers(ctx, case, [o for o in staff if o.personal_with_group], alert)
    if alert.kind.optional and binding.alert_kinds is not None and alert.kind.value not in binding.alert_kinds:
        return personal  # the group chose not to hear of this kind
    at = _deliver_at_with(ctx, alert.kind, binding.quiet_hours, urgent_at_night=True)
    message_id = f"alert:{case.case_id}:{alert.key}:grup.{agency}"
    new = ctx.outbox.enqueue(OutboundMessage(
        message_id=message_id, channel="line", recipient=binding.group_id, body=alert.text, created_at=ctx.now(),
        case_id=case.case_id, purpose=alert.purpose, next_attempt_at=at,
    ))
    return [Queued(message_id, at, new), *personal]


def _to_officers(ctx: Context, case: Case, officers: list[Officer], alert: _Alert) -> list[Queued]:
    queued = []
    urgent = is_urgent(alert.kind, parse_kinds(ctx.settings.urgent_alerts))
    quota_low: bool | None = None  # asked once, and only when a personal LINE alert is about to be queued
    for officer in officers:
        if not officer.active or officer.actor.actor_id == alert.actor_id or not wants(officer, alert.kind):
            continue
        route = officer_route(ctx, officer)
        if route is None:
            continue
        channel, recipient, options = route
        if channel == "line" and not urgent:
            quota_low = _line_quota_low(ctx) if quota_low is None else quota_low
            if quota_low:
                continue  # the LINE quota runs low: the morning digest carries this officer's work instead
        at = _deliver_at(ctx, alert.kind, officer)
        message_id = f"alert:{case.case_id}:{alert.key}:{officer.username}"
        new = ctx.outbox.enqueue(OutboundMessage(
            message_id=message_id, channel=channel, recipient=recipient, body=alert.text, created_at=ctx.now(),
            case_id=case.case_id, purpose=alert.purpose, options=options, next_attempt_at=at,
        ))
        queued.append(Queued(message_id, at, new))
    return queued


def _line_quota_low(ctx: Context) -> bool:
    """Personal non-urgent LINE alerts wait for the digest while the city's LINE quota is below its floor."""
    from chalicelib.services.quota import personal_alerts_held

    try:
        return personal_alerts_held(ctx)
    except Exception:  # the quota check must never cost an alert
        logger.warning("LINE quota not checked", exc_info=True)
        return False


def _deliver_at(ctx: Context, kind: AlertKind, officer: Officer | None) -> datetime:
    """Now, or the next working morning for a non-urgent alert in quiet hours, a weekend or a holiday
    (the officer's own quiet hours and night choice, else the city's)."""
    return _deliver_at_with(ctx, kind, officer.quiet_hours if officer else None,
                            urgent_at_night=officer.urgent_at_night if officer else True)


def _deliver_at_with(ctx: Context, kind: AlertKind, own_quiet_hours: str | None, *, urgent_at_night: bool) -> datetime:
    """`_deliver_at` for given quiet hours (an officer's or a group's; None: the city's)."""
    quiet = None
    for value in (own_quiet_hours, ctx.settings.quiet_hours):
        if value is None:
            continue
        try:
            quiet = parse_quiet_hours(value)
        except ValueError:
            continue
        break
    start, end = quiet or (None, None)
    return deliver_at(kind, ctx.now(), ctx.calendar, start, end, urgent_at_night=urgent_at_night,
                      urgent_kinds=parse_kinds(ctx.settings.urgent_alerts))


# ---------------------------------------------------------------- officer alerts: what they say


def alert_text(ctx: Context, case: Case, headline: str, *, note: str = "", excerpt: str | None = None,
               excerpt_label: str = "Isi", due_for: str | None = None) -> str:
    """An alert: headline, number, channel, category, an excerpt, the deadline and the link to the case.

    Never the reporter's identity; for a *rahasia* case nothing of its content (nor an officer's note).
    """
    lines = [f"[Aduan] {headline}", f"Nomor: {case.case_id} | Kanal: {case.channel.label}",
             f"Kategori: {category_line(ctx, case)}"]
    if case.confidential:
        lines.append("Isi: laporan rahasia, hanya dapat dibaca di aplikasi.")
    else:
        text = excerpt if excerpt is not None else (case.title or case.description)
        if text.strip():
            lines.append(f"{excerpt_label}: {_excerpt(text)}")
        if note.strip():
            lines.append(f"Catatan: {_excerpt(note)}")
    lines.append(f"Batas waktu: {_due(case, due_for)}")
    lines.append(f"Buka: {case_link(ctx, case)}")
    return "\n".join(lines)


def category_line(ctx: Context, case: Case) -> str:
    category = ctx.categories.get(case.category_id) if case.category_id else None
    if category is not None:
        return category.name
    from chalicelib.services.directory import suggest_for_text

    try:
        suggestions = suggest_for_text(ctx, f"{case.title} {case.description}"[:4000])
    except Exception:  # a suggestion is a courtesy: never let it stop an alert
        suggestions = []
    return f"belum ditentukan (saran: {suggestions[0]['name']})" if suggestions else "belum ditentukan"


def case_link(ctx: Context, case: Case) -> str:
    return f"{ctx.channels.public_base_url.rstrip('/')}/petugas/kasus/{case.case_id}"


def _excerpt(text: str) -> str:
    folded = " ".join(text.split())
    return folded if len(folded) <= EXCERPT_LENGTH else folded[: EXCERPT_LENGTH - 1] + "…"


def _due(case: Case, agency: str | None = None) -> str:
    """The deadline the officer actually has: the stage's own or the finishing cap, whichever is earlier; for
    a supporting OPD (`agency`), its own contribution deadline."""
    task = case.support_task(agency) if agency and agency != case.lead_agency else None
    if task is not None:
        return _wib(task.due_at) if task.pending else "-"
    deadline = earliest(case.deadline, case.finish_by)
    return _wib(deadline.due_at) if deadline else "-"


def _wib(moment: datetime) -> str:
    return format_moment_id(moment)


def agency_short_name(ctx: Context, agency: str) -> str:
    """How alerts and timeline notes name an OPD: its short name, else its name, else its code."""
    found = ctx.agencies.get(agency)
    return found.short_name or found.name if found else agency
