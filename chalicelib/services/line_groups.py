"""The city's LINE account inside an OPD's LINE group: binding the group for alerts, and nothing else.

What is said in a LINE group or room is officers talking to each other, never a citizen's complaint. The
account reads only:

- a one-time group code `GRUP-123456` (asked for by an admin koordinator for any OPD, or by a supervisor
  for their own, on `/petugas/akun` or `POST /api/agencies/{agency_id}/line-group-code`): it binds the
  group to that OPD (`ctx.line_groups`), and the account confirms in the group. Codes last 15 minutes and
  work once; after 10 wrong codes in a group within an hour, codes from that group are ignored until the
  hour is over; and one member who sends 5 wrong codes (in any group) waits, longer with each further
  wrong code, and is told so (the personal link code's limit, `services.officer_line`);
- `STATUS <nomor>`: the case's status (and its OPD, unless the case is *rahasia*), never its content;
- `INFO` (or `BANTUAN`): which OPD the group receives alerts for, and how to bind it.

Everything else (chatter, photos, personal `ADUAN-` link codes, unsend) is ignored silently: no case, no
reply. LINE's group events: `join` answers with how to bind the group; `leave` unbinds every OPD bound to
the group and tells the admin koordinator(s); `memberLeft` is only logged — the account cannot cheaply know
who is still in the group, and a group without the OPD's officers is the OPD's to fix (an officer can bind
another group at any time, which replaces the binding).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from chalicelib.domain.case import Actor, Role
from chalicelib.domain.errors import NotFound, NotPermitted
from chalicelib.domain.messages import InboundMessage, OutboundMessage
from chalicelib.domain.tracking import normalize_tracking_number
from chalicelib.observability import logger
from chalicelib.services import replies
from chalicelib.services.context import Context
from chalicelib.services.intake import STATUS_COMMAND, Outcome

GROUP_CODE = re.compile(r"^\s*(GRUP-\d{6})\s*$", re.I)
INFO_COMMAND = re.compile(r"^\s*(?:info|bantuan)\s*$", re.I)
CODE_LIFETIME = timedelta(minutes=15)
WRONG_CODES_PER_HOUR = 10


# ---------------------------------------------------------------- issuing a code (officers)


def issue_group_code(ctx: Context, actor: Actor, agency_id: str) -> dict:
    """A one-time code binding a LINE group to `agency_id`: admin koordinator for any OPD, supervisor for their own."""
    agency_id = (agency_id or "").strip()
    if actor.role is Role.SUPERVISOR:
        agency_id = agency_id or (actor.agency_id or "")
        if agency_id != actor.agency_id:
            raise NotPermitted("Supervisor hanya dapat menghubungkan grup LINE untuk OPD-nya sendiri.")
    elif actor.role is not Role.ADMIN:
        raise NotPermitted("Hanya admin koordinator atau supervisor OPD yang dapat menghubungkan grup LINE.")
    agency = ctx.agencies.get(agency_id)
    if agency is None:
        raise NotFound("OPD tidak ditemukan.")
    username = actor.actor_id.removeprefix("officer:")
    expires = ctx.now() + CODE_LIFETIME
    repo = ctx.link_codes
    while True:
        code = f"GRUP-{secrets.randbelow(10**6):06d}"
        if repo.issue_group(code, username, agency.agency_id, expires):
            break
    ctx.audit.record("line_group_code", actor.actor_id, ctx.now(), detail=agency.agency_id)
    return {
        "code": code,
        "agency_id": agency.agency_id,
        "agency_name": agency.name,
        "expires_at": expires.isoformat(),
        "instruction": (
            f"Undang akun LINE resmi {ctx.settings.city_name} ke grup LINE {agency.name}, lalu kirim kode "
            f"{code} di grup itu dalam 15 menit. Kode hanya berlaku sekali. Akun akan menjawab di grup bila "
            "berhasil; sejak itu notifikasi laporan untuk OPD ini dikirim ke grup tersebut."
        ),
    }


# ---------------------------------------------------------------- inside the group (webhook, after the answer)


def handle_group_message(ctx: Context, message: InboundMessage) -> Outcome:
    """Everything LINE delivers from a group or room. Never opens a case."""
    group_id = message.group_id or message.reply_to or ""
    if message.kind == "join":
        _reply(ctx, message, _join_text(ctx), purpose="group_join")
        return Outcome("group_joined")
    if message.kind == "leave":
        return _left(ctx, message, group_id)
    if message.kind == "member_left":
        logger.info("LINE group members left", extra={"group_id": group_id, "members": len(message.members)})
        return Outcome("ignored")
    text = (message.text or "").strip() if message.kind == "text" else ""
    code = GROUP_CODE.match(text)
    if code:
        return _bind(ctx, message, group_id, code.group(1).upper())
    command = STATUS_COMMAND.match(text)
    if command:
        return _status(ctx, message, command.group("number"))
    if INFO_COMMAND.match(text):
        _reply(ctx, message, _info_text(ctx, group_id), purpose="group_info")
        return Outcome("group_info")
    return Outcome("ignored")  # officers talking to each other: no case, no reply


def _bind(ctx: Context, message: InboundMessage, group_id: str, code: str) -> Outcome:
    from chalicelib.services.officer_line import BASE_WAIT, MAX_WAIT, WRONG_CODES, wrong_codes_text
    from chalicelib.services.sessions import throttle_key, wait_minutes

    limiter = ctx.limits
    window = f"line-group-code:{group_id}:{ctx.now():%Y%m%d%H}"
    if limiter.spent(window, WRONG_CODES_PER_HOUR):
        logger.warning("LINE group code ignored: too many wrong codes", extra={"group_id": group_id})
        return Outcome("ignored")
    sender = throttle_key(ctx, "line-group-code", message.sender_id) if message.sender_id else None
    wait = wait_minutes(ctx, [sender]) if sender else 0
    if wait:
        logger.warning("LINE group code refused: too many wrong codes from this member", extra={"group_id": group_id})
        _reply(ctx, message, wrong_codes_text(wait, "kode grup"), purpose="group_bind_wait")
        return Outcome("ignored")
    redeemed = ctx.link_codes.redeem_group(code, ctx.now())
    agency = ctx.agencies.get(redeemed[0]) if redeemed else None
    if redeemed is None or agency is None:
        limiter.allow(window, WRONG_CODES_PER_HOUR, ctx.now())
        if sender:
            ctx.throttle.record_failure(sender, ctx.now(), WRONG_CODES, BASE_WAIT, MAX_WAIT)
        _reply(ctx, message, "Kode grup tidak valid, sudah dipakai, atau sudah kedaluwarsa. Minta kode baru di "
               "menu Akun aplikasi Aduan.", purpose="group_bind_invalid")
        return Outcome("ignored")
    if sender:
        ctx.throttle.clear(sender)
    agency_id, username = redeemed
    ctx.line_groups.bind(agency_id, group_id, f"officer:{username}", ctx.now())
    ctx.audit.record("line_group_bound", f"officer:{username}", ctx.now(), outcome=agency_id, detail=group_id)
    _reply(ctx, message, f"Grup ini sekarang menerima notifikasi laporan untuk {agency.name}.",
           purpose="group_bound")
    return Outcome("group_bound")


def _status(ctx: Context, message: InboundMessage, number: str) -> Outcome:
    """The status only; the OPD too unless the case is *rahasia*; never the reporter or the content."""
    case_id = normalize_tracking_number(number)
    case = ctx.cases.get(case_id) if case_id else None
    if case is None:
        text = f"Nomor laporan '{number.strip()[:40]}' tidak ditemukan."
    else:
        text = f"Laporan {case.case_id}: {case.status.label}."
        agency = ctx.agencies.get(case.lead_agency) if case.lead_agency else None
        if agency and not case.confidential:
            text += f" Ditangani oleh {agency.name}."
    _reply(ctx, message, text, purpose="group_status", case_id=case.case_id if case else None)
    return Outcome("status", case.case_id if case else None)


def _left(ctx: Context, message: InboundMessage, group_id: str) -> Outcome:
    """The account was removed from the group: tell the admin(s) first, then unbind (a retry redoes both)."""
    agencies = ctx.line_groups.agencies_of(group_id)
    if not agencies:
        logger.info("LINE account left an unbound group", extra={"group_id": group_id})
        return Outcome("ignored")
    names = ", ".join(ctx.agencies[a].name if a in ctx.agencies else a for a in agencies)
    text = (f"[Aduan] Akun LINE {ctx.settings.city_name} dikeluarkan dari grup LINE notifikasi untuk {names}. "
            "Notifikasi OPD tersebut kini dikirim ke petugasnya masing-masing. Untuk memakai grup lagi, undang "
            "akun ke grup dan kirim kode grup baru dari menu Akun.")
    from chalicelib.services.notify import queue_for_admins

    queued = queue_for_admins(ctx, f"group-left:{group_id}:{message.event_key}", text, "line_group_left")
    for agency_id in agencies:
        ctx.line_groups.unbind(agency_id, group_id)
    for message_id in queued:
        _send_now(ctx, message_id)
    return Outcome("group_left")


# ---------------------------------------------------------------- helpers


def _join_text(ctx: Context) -> str:
    return (f"Terima kasih, akun LINE resmi {ctx.settings.city_name} sudah bergabung. Agar grup ini menerima "
            "notifikasi laporan untuk sebuah OPD, admin koordinator atau supervisor OPD meminta kode grup di "
            "menu Akun aplikasi Aduan, lalu mengirim kode itu (contoh: GRUP-123456) di grup ini. "
            "Percakapan di grup tidak dicatat sebagai laporan. Perintah: STATUS <nomor>, INFO.")


def _info_text(ctx: Context, group_id: str) -> str:
    bound = [ctx.agencies[a].name if a in ctx.agencies else a for a in ctx.line_groups.agencies_of(group_id)]
    if bound:
        return f"Grup ini menerima notifikasi laporan untuk {', '.join(bound)}. Perintah: STATUS <nomor>."
    return _join_text(ctx)


def _reply(ctx: Context, message: InboundMessage, body: str, *, purpose: str, case_id: str | None = None) -> None:
    """One answer in the group per event (`reply:<event>`, sent right away by intake.process_event)."""
    target = replies.route_for(message)
    if target is None:
        return  # standby: another bot answers in this chat
    channel, recipient, options = target
    ctx.outbox.enqueue(OutboundMessage(
        message_id=f"reply:{message.event_key}", channel=channel, recipient=recipient, body=body,
        created_at=ctx.now(), case_id=case_id, purpose=purpose, options=options,
    ))


def _send_now(ctx: Context, message_id: str) -> None:
    from chalicelib.services.outbound import send_outbound

    try:
        send_outbound(ctx, message_id)
    except Exception:
        logger.exception("immediate send failed; the outbox job will retry", extra={"message_id": message_id})


def group_code_form(ctx: Context, actor: Actor, code: dict | None = None) -> dict | None:
    """What the account page shows for binding a LINE group; None for roles that may not bind one."""
    if actor.role is Role.ADMIN:
        choices = sorted(((a.agency_id, a.name) for a in ctx.agencies.values()), key=lambda c: c[1])
    elif actor.role is Role.SUPERVISOR and actor.agency_id in ctx.agencies:
        choices = [(actor.agency_id, ctx.agencies[actor.agency_id].name)]
    else:
        return None
    bound = {agency_id: ctx.line_groups.group_of(agency_id) is not None for agency_id, _ in choices} \
        if actor.role is Role.SUPERVISOR else {}
    return {"choices": choices, "choose": actor.role is Role.ADMIN, "code": code,
            "bound": bound.get(actor.agency_id or "", False), "groups": group_preferences_view(ctx, actor)}


def set_group_preferences(ctx: Context, actor: Actor, agency_id: str, *, kinds: list[str], quiet_start: str,
                          quiet_end: str) -> None:
    """Which alerts an OPD's LINE group takes and its quiet hours (admin: any OPD; supervisor: their own)."""
    from chalicelib.domain.alerts import AlertKind, format_quiet_hours, parse_clock, parse_kinds
    from chalicelib.domain.errors import ValidationFailed

    agency_id = (agency_id or "").strip()
    if actor.role is Role.SUPERVISOR and agency_id != actor.agency_id:
        raise NotPermitted("Supervisor hanya dapat mengatur grup LINE OPD-nya sendiri.")
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise NotPermitted("Hanya admin koordinator atau supervisor OPD yang dapat mengatur grup LINE.")
    if not agency_id or agency_id not in ctx.agencies:  # never an empty key to DynamoDB
        raise ValidationFailed("OPD tidak dikenal.", field="agency_id")
    chosen = tuple(sorted(k.value for k in parse_kinds(kinds) if k.optional))
    every = tuple(sorted(k.value for k in AlertKind if k.optional))
    if bool(quiet_start.strip()) != bool(quiet_end.strip()):
        raise ValidationFailed("Isi jam mulai dan jam selesai, atau kosongkan keduanya.", field="quiet_hours")
    quiet = None
    if quiet_start.strip():
        try:
            quiet = format_quiet_hours(parse_clock(quiet_start), parse_clock(quiet_end))
        except ValueError:
            raise ValidationFailed("Jam tenang harus berbentuk JJ:MM, misalnya 21:00.", field="quiet_hours") from None
    if not ctx.line_groups.set_preferences(agency_id, None if chosen == every else chosen,
                                           None if quiet == ctx.settings.quiet_hours else quiet):
        raise NotFound("OPD ini belum memiliki grup LINE yang terhubung.")


def group_preferences_view(ctx: Context, actor: Actor) -> list[dict]:
    """The bound LINE groups this officer may set preferences for, with what they take now."""
    from chalicelib.domain.alerts import AlertKind, parse_quiet_hours

    if actor.role is Role.ADMIN:
        agencies = sorted(ctx.agencies.values(), key=lambda a: a.name)
    elif actor.role is Role.SUPERVISOR and actor.agency_id in ctx.agencies:
        agencies = [ctx.agencies[actor.agency_id]]
    else:
        return []
    shown = []
    for agency in agencies:
        binding = ctx.line_groups.binding(agency.agency_id)
        if binding is None:
            continue
        try:
            window = parse_quiet_hours(binding.quiet_hours or ctx.settings.quiet_hours)
        except ValueError:
            window = None
        every = {k.value for k in AlertKind}
        shown.append({
            "agency_id": agency.agency_id,
            "agency_name": agency.name,
            "kinds": [(k.value, k.label) for k in AlertKind if k.optional],
            "chosen": set(binding.alert_kinds) if binding.alert_kinds is not None else every,
            "quiet_start": window[0].strftime("%H:%M") if window else "",
            "quiet_end": window[1].strftime("%H:%M") if window else "",
        })
    return shown
