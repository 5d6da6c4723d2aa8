"""Messages that follow from what happened to a case: citizen updates and officer alerts.

They are derived from the case's timeline by the sync job (every event after `notified_seq`) and queued in
the outbox under deterministic ids, so a re-run or a crash between queueing and marking never sends twice.
"""

from __future__ import annotations

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Action, Case, Role, TimelineEvent
from chalicelib.domain.escalation import Rung
from chalicelib.domain.messages import OutboundMessage
from chalicelib.domain.officer import Officer
from chalicelib.services.context import Context

CITIZEN_UPDATES = {Action.FORWARD, Action.HOLD, Action.FOLLOW_UP, Action.CLOSE, Action.AUTO_CLOSE, Action.REJECT,
                   Action.MERGE, Action.REOPEN, Action.RESUME}
ALERTS = {Action.ESCALATE, Action.WARN}


def queue_notifications(ctx: Context, case: Case) -> int:
    """Queue the messages of every timeline event not yet notified; returns how many were new."""
    queued = 0
    for event in case.timeline:
        if event.seq <= case.notified_seq:
            continue
        if event.action in ALERTS:
            queued += _alert_officers(ctx, case, event)
        elif event.action in CITIZEN_UPDATES and event.actor_role is not Role.CITIZEN:
            queued += _update_citizen(ctx, case, event)
    return queued


# ---------------------------------------------------------------- citizens


def citizen_route(ctx: Context, case: Case) -> tuple[str, str, dict] | None:
    """(channel, recipient, options) to reach the reporter: their own channel first, else SMS or e-mail."""
    channel = case.channel.value
    uid = case.reporter.channel_user_id or ""
    via_twilio = (case.source_key or "").startswith("tw:")
    if channel in ("line", "telegram", "messenger", "instagram") and uid.startswith(f"{channel}:"):
        return channel, uid.split(":", 1)[1], {}
    if channel == "whatsapp" and (case.reporter.phone or uid.startswith("whatsapp:")):
        if via_twilio:
            return "whatsapp", case.reporter.phone, {"via": "twilio"}
        return "whatsapp", uid.split(":", 1)[1] if uid.startswith("whatsapp:") else case.reporter.phone.lstrip("+"), {}
    if channel == "email" and case.reporter.email:
        return "email", case.reporter.email, {"subject": f"Perkembangan laporan {case.case_id}"}
    if case.reporter.phone:
        return "sms", case.reporter.phone, {"via": "twilio" if via_twilio else sms_route(ctx)}
    if case.reporter.email:
        return "email", case.reporter.email, {"subject": f"Perkembangan laporan {case.case_id}"}
    return None


def citizen_update_text(ctx: Context, case: Case, event: TimelineEvent) -> str | None:
    agency = ctx.agencies.get(case.lead_agency) if case.lead_agency else None
    number = case.case_id
    note = event.note.strip() if event.public and not case.confidential else ""
    if event.action is Action.FORWARD:
        where = f" ke {agency.name}" if agency else ""
        return f"Laporan {number} telah diverifikasi dan diteruskan{where} untuk ditindaklanjuti."
    if event.action is Action.HOLD:
        return f"Laporan {number} menunggu kelengkapan dari Anda{': ' + note if note else ''}. Balas pesan ini."
    if event.action is Action.FOLLOW_UP:
        return f"Tindak lanjut laporan {number}{': ' + note if note else ' telah dicatat'}."
    if event.action in (Action.CLOSE, Action.AUTO_CLOSE):
        return (f"Laporan {number} dinyatakan selesai. Mohon beri nilai pelayanan kami dengan membalas "
                "angka 1 (buruk) sampai 5 (sangat baik).")
    if event.action is Action.REJECT:
        return f"Laporan {number} bukan wewenang Pemerintah {ctx.settings.city_name}{': ' + note if note else '.'}"
    if event.action is Action.MERGE:
        return f"Laporan {number} digabung dengan laporan {case.merged_into}, yang akan terus kami tindak lanjuti."
    if event.action in (Action.REOPEN, Action.RESUME):
        return f"Laporan {number} diproses kembali."
    return None


def _update_citizen(ctx: Context, case: Case, event: TimelineEvent) -> int:
    route = citizen_route(ctx, case)
    text = citizen_update_text(ctx, case, event)
    if route is None or text is None:
        return 0
    channel, recipient, options = route
    return int(ctx.outbox.enqueue(OutboundMessage(
        message_id=f"update:{case.case_id}:{event.seq}", channel=channel, recipient=recipient, body=text,
        created_at=ctx.now(), case_id=case.case_id, purpose=event.action.value, options=options,
    )))


# ---------------------------------------------------------------- officers


def rung_recipients(ctx: Context, case: Case, rung: Rung) -> list[Officer]:
    """Who stands on a rung of this case's ladder (active officers only)."""
    def of(agency: str | None, role: Role) -> list[Officer]:
        return [o for o in ctx.officers_of(agency) if o.role is role and o.active] if agency else []

    if rung is Rung.OFFICER:
        staff = of(case.lead_agency, Role.OPD)
        assigned = [o for o in staff if o.username == case.assigned_officer]
        return assigned or staff
    if rung is Rung.SUPERVISOR:
        return of(case.lead_agency, Role.SUPERVISOR)
    if rung is Rung.ADMIN:
        return of(ctx.settings.admin_agency, Role.ADMIN)
    return of(ctx.settings.leadership_agency, Role.LEADERSHIP)


def officer_route(ctx: Context, officer: Officer) -> tuple[str, str, dict] | None:
    """LINE when the officer prefers it and linked an account (SMS as fallback), else SMS."""
    sms = ("sms", officer.phone, {"via": sms_route(ctx)}) if officer.phone else None
    if officer.alert_channel == "line" and officer.line_user_id:
        options = {"fallback": {"channel": sms[0], "recipient": sms[1], "options": sms[2]}} if sms else {}
        return "line", officer.line_user_id, options
    return sms


def sms_route(ctx: Context) -> str:
    return "gateway" if ctx.channels.sms_gateway_send_url else "twilio"


def _alert_officers(ctx: Context, case: Case, event: TimelineEvent) -> int:
    deadline = case.deadline or case.finish_by
    due = deadline.due_at.astimezone(WIB).strftime("%d-%m-%Y %H.%M WIB") if deadline else "-"
    if event.action is Action.WARN:
        rung = Rung.OFFICER if case.lead_agency else Rung.ADMIN
        text = f"[Aduan] Batas waktu laporan {case.case_id} berakhir {due}. Mohon segera ditindaklanjuti."
    else:
        rung = Rung(event.rung) if event.rung else Rung.ADMIN
        text = (f"[Aduan] Laporan {case.case_id} melewati batas waktu ({due}) dan dieskalasi kepada Anda "
                f"sebagai {rung.label}. Mohon segera ditindaklanjuti.")
    queued = 0
    for officer in rung_recipients(ctx, case, rung):
        route = officer_route(ctx, officer)
        if route is None:
            continue
        channel, recipient, options = route
        queued += int(ctx.outbox.enqueue(OutboundMessage(
            message_id=f"alert:{case.case_id}:{event.seq}:{officer.username}", channel=channel,
            recipient=recipient, body=text, created_at=ctx.now(), case_id=case.case_id,
            purpose=f"{event.action.value}:{rung.value}", options=options,
        )))
    return queued

