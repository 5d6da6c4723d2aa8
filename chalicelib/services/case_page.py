"""The officer's case page (`/petugas/kasus/{nomor}`), as plain data for its template.

Everything a template may show is chosen here: the conversation (photos through short-lived signed links),
the timeline with actors in words (a citizen is always "Pelapor"), every deadline in working days, exactly
the actions the domain allows this officer, the reply form, and the reporter — for an *anonim* case only to
the admin koordinator, only after a stated reason, and recorded on the audit trail.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.domain.case import OPEN_STATUSES, Action, Actor, Case, Channel, Role, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.lifecycle import TRANSITIONS, allowed_actions
from chalicelib.domain.messages import CaseMessage
from chalicelib.domain.sla import Deadline, SlaStatus, Tier, sla_status
from chalicelib.services.context import Context
from chalicelib.services.presenters import (
    WITHDRAWN,
    actor_label,
    cap_start_words,
    case_agencies,
    deadline_basis,
    map_url,
    message_author,
    officer_names,
    record_identity_view,
)

DUPLICATE_WINDOW = timedelta(days=14)
DUPLICATE_SCAN = 100  # cases per page of the status index (newest first)
DUPLICATE_PAGES = 3  # at most this many pages per open status
MAX_DUPLICATES = 5
MAX_REASON_LENGTH = 500

CHANNEL_LABELS = {
    "web": "Formulir web", "whatsapp": "WhatsApp", "line": "LINE", "sms": "SMS", "telegram": "Telegram",
    "messenger": "Facebook Messenger", "instagram": "Instagram", "email": "E-mail", "telepon": "Telepon",
    "tatap_muka": "Tatap muka",
}

# action -> (form heading, submit button text, note label)
ACTION_FORMS: dict[Action, tuple[str, str, str]] = {
    Action.FORWARD: ("Verifikasi dan teruskan", "Verifikasi dan teruskan", "Catatan untuk OPD"),
    Action.HOLD: ("Tunda (minta kelengkapan)", "Tunda laporan", "Kelengkapan yang diminta dari pelapor"),
    Action.RESUME: ("Lanjutkan", "Lanjutkan laporan", "Catatan"),
    Action.REJECT: ("Bukan wewenang", "Nyatakan bukan wewenang", "Alasan dan arahan untuk pelapor"),
    Action.ARCHIVE: ("Arsipkan", "Arsipkan laporan", "Alasan diarsipkan"),
    Action.RETURN: ("Kembalikan ke admin", "Kembalikan ke admin", "Alasan dikembalikan"),
    Action.ASSIGN: ("Tugaskan petugas", "Tugaskan petugas", "Catatan untuk petugas"),
    Action.FOLLOW_UP: ("Catat tindak lanjut", "Simpan tindak lanjut", "Tindak lanjut yang dilakukan"),
    Action.CLOSE: ("Selesaikan", "Selesaikan laporan", "Yang telah dilakukan (dikirim ke pelapor)"),
    Action.REOPEN: ("Buka kembali", "Buka kembali laporan", "Alasan dibuka kembali"),
    Action.MERGE: ("Gabungkan dengan laporan lain", "Gabungkan laporan", "Catatan"),
    Action.CONTRIBUTE: ("Catat kontribusi OPD pendukung", "Simpan kontribusi",
                        "Yang dilakukan OPD Anda untuk laporan ini"),
    Action.REDISPOSE: ("Ubah disposisi", "Ubah disposisi", "Alasan perubahan disposisi"),
    Action.WITHDRAW: ("Tarik kembali untuk diverifikasi ulang", "Tarik kembali", "Alasan ditarik kembali"),
}


def channel_label(value: str) -> str:
    try:
        return str(getattr(Channel(value), "label", None) or CHANNEL_LABELS.get(value, value))
    except ValueError:
        return CHANNEL_LABELS.get(value, value)


def notice_for(code: str) -> str:
    """The success message behind `?ok=<code>` after a redirect."""
    if code in Action._value2member_map_:
        action = Action(code)
        if action in ACTION_FORMS:
            return f"Berhasil: {action.label.lower()}."
    return {
        "balas": "Balasan sudah terkirim ke pelapor.",
        "balas_antre": "Balasan masuk antrean dan akan dikirim otomatis.",
        "balas_gagal": "Balasan belum dapat dikirim; admin dan supervisor melihatnya di Pesan gagal.",
    }.get(code, "")


def case_page(
    ctx: Context,
    actor: Actor,
    case: Case,
    messages: list[CaseMessage],
    *,
    media_url: Callable[[CaseMessage], str],
    identity_reason: str | None = None,
    template_id: str = "",
    reply_text: str | None = None,
    reply_key: str | None = None,
    errors: dict[str, str] | None = None,
    form_values: dict[str, str] | None = None,
) -> dict:
    """What the case page shows to `actor` (who may see `case`: the caller loaded it with `load_case`).

    With `identity_reason` (the admin's stated reason) an anonymous reporter is shown in this answer only,
    and the audit trail records it.
    """
    now = ctx.now()
    names = officer_names(ctx, case_agencies(ctx, case))
    reporter, identity = _reporter(ctx, actor, case, identity_reason)
    return {
        "case": _case_facts(ctx, case, names),
        "reporter": reporter,
        "identity": identity,
        "conversation": _conversation(messages, names, media_url),
        "timeline": _timeline(ctx, case, names),
        "sla": _sla(ctx, case, now),
        "actions": _actions(ctx, actor, case, now, form_values or {}),
        "reply": _reply(ctx, actor, case, template_id, reply_text, reply_key),
        "errors": dict(errors or {}),
    }


# ---------------------------------------------------------------- facts and reporter


def _case_facts(ctx: Context, case: Case, names: dict[str, str]) -> dict:
    agencies, categories = ctx.agencies, ctx.categories
    category = categories.get(case.category_id) if case.category_id else None
    return {
        "case_id": case.case_id,
        "version": case.version,
        "status": case.status.value,
        "status_label": case.status.label,
        "is_open": case.is_open,
        "channel_label": channel_label(case.channel.value),
        "title": case.title,
        "description": case.description,
        "location": case.location,
        "anonymous": case.anonymous,
        "confidential": case.confidential,
        "category_name": category.name if category else None,
        "tier_label": case.tier.label if case.tier else None,
        "lead_agency_name": agencies[case.lead_agency].name if case.lead_agency in agencies else case.lead_agency,
        "supporting_names": [agencies[a].name if a in agencies else a for a in case.supporting_agencies],
        "assigned_officer": names.get(case.assigned_officer or "", case.assigned_officer),
        "merged_into": case.merged_into,
        "rating": case.rating,
    }


def _reporter(ctx: Context, actor: Actor, case: Case, reason: str | None) -> tuple[dict | None, dict]:
    """(the reporter to show or None, the identity state: hidden?, may the actor reveal it?)."""
    if not case.anonymous:
        return _reporter_fields(case), {"anonymous": False, "hidden": False, "can_reveal": False, "revealed": False}
    is_admin = actor.role is Role.ADMIN
    if reason is not None:
        if not is_admin:
            raise NotPermitted("Identitas pelapor anonim hanya dapat dibuka oleh admin koordinator.")
        reason = reason.strip()
        if not reason:
            raise ValidationFailed("Tuliskan alasan membuka identitas pelapor.", field="reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise ValidationFailed(f"Alasan paling panjang {MAX_REASON_LENGTH} karakter.", field="reason")
        record_identity_view(ctx, actor, case, reason=reason, via="web")
        return _reporter_fields(case), {"anonymous": True, "hidden": False, "can_reveal": False, "revealed": True}
    return None, {"anonymous": True, "hidden": True, "can_reveal": is_admin, "revealed": False}


def _reporter_fields(case: Case) -> dict:
    r = case.reporter
    return {"name": r.name, "phone": r.phone, "email": r.email, "channel_user_id": r.channel_user_id,
            "empty": not (r.name or r.phone or r.email or r.channel_user_id)}


# ---------------------------------------------------------------- conversation and timeline


def _conversation(messages: list[CaseMessage], names: dict[str, str],
                  media_url: Callable[[CaseMessage], str]) -> list[dict]:
    shown = []
    for m in sorted(messages, key=lambda m: (m.sent_at, m.message_id)):
        has_media = bool(m.media_key) and not m.withdrawn
        is_image = has_media and (m.kind == "image" or (m.media_type or "").startswith("image/"))
        location = None
        if not m.withdrawn and m.latitude is not None and m.longitude is not None:
            lat, lon = float(m.latitude), float(m.longitude)
            location = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "map_url": map_url(lat, lon)}
        shown.append({
            "outgoing": m.direction == "out",
            "author": message_author(m, names),
            "at": m.sent_at,
            "kind": m.kind,
            "text": None if m.withdrawn else m.text,
            "withdrawn": m.withdrawn,
            "withdrawn_text": WITHDRAWN,
            "image_url": media_url(m) if is_image else None,
            "file_url": media_url(m) if has_media and not is_image else None,
            "media_type": m.media_type,
            "location": location,
        })
    return shown


def _timeline(ctx: Context, case: Case, names: dict[str, str]) -> list[dict]:
    from chalicelib.domain.escalation import Rung
    from chalicelib.services.public import PUBLIC_NOTES, PUBLIC_STEPS

    agencies = ctx.agencies
    entries = []
    for e in case.timeline:
        shown = e.public and e.action in PUBLIC_STEPS and not case.confidential
        if not shown:
            visibility = "Internal"
        elif e.note and e.action in PUBLIC_NOTES:
            visibility = "Publik, catatan ikut tampil"
        else:
            visibility = "Publik" + (", catatan tidak tampil" if e.note else "")
        detail = ""
        whose = agencies[e.agency].name if e.agency in agencies else e.agency
        if e.action in (Action.FORWARD, Action.REDISPOSE) and e.agencies:
            lead, *rest = (agencies[a].name if a in agencies else a for a in e.agencies)
            detail = f"OPD utama: {lead}" + (f"; pendukung: {', '.join(rest)}" if rest else "")
        elif e.action is Action.WITHDRAW:
            detail = "Kembali ke antrean verifikasi admin; OPD sebelumnya dilepas"
        elif e.action is Action.CONTRIBUTE and whose:
            detail = f"Kontribusi {whose} (bukan tindak lanjut OPD utama)"
        elif e.action is Action.ESCALATE and e.rung in Rung._value2member_map_:
            detail = f"Dieskalasi kepada {Rung(e.rung).label}" + (f" (kontribusi {whose})" if whose else "")
        elif e.action is Action.WARN and whose:
            detail = f"Batas kontribusi {whose}"
        elif e.action is Action.ASSIGN:
            detail = "Petugas ditugaskan"
        elif e.action is Action.MERGED_IN and e.merged_from:
            detail = f"Laporan {e.merged_from} digabung ke laporan ini"
        entries.append({
            "at": e.at,
            "label": e.action.label,
            "actor": actor_label(e.actor_id, e.actor_role, names),
            "from_label": e.from_status.label if e.from_status else None,
            "to_label": e.to_status.label,
            "changed": e.from_status is not None and e.from_status is not e.to_status,
            "note": e.note,
            "public": shown,
            "visibility": visibility,
            "detail": detail,
        })
    return entries


# ---------------------------------------------------------------- deadlines


SLA_CLASSES = {SlaStatus.TEPAT_WAKTU: "sla-aman", SlaStatus.SEGERA: "sla-segera", SlaStatus.TERLAMBAT: "sla-lewat"}


def _sla(ctx: Context, case: Case, now: datetime) -> dict:
    stage = _working_deadline(ctx, case.deadline, now) if case.deadline and case.is_open else None
    basis = deadline_basis(case, ctx.policy)
    if stage is not None and basis is not None:
        stage["basis_label"] = "Batas tahap"
    applies = None
    if basis is not None and basis["basis"] == "batas_akhir":
        # the cap falls before the stage's own deadline: it is the one the officer has (and is alerted for)
        applies = {"label": basis["basis_label"], "due_at": case.finish_by.due_at if case.finish_by else None,
                   "earlier_than_stage": basis["stage"] is not None}
    finish = None
    if case.finish_by:
        finish = {"due_at": case.finish_by.due_at, "label": case.finish_by.kind.label, "words": "", "css": "",
                  "cap_days": ctx.policy.finish_cap_days, "since": cap_start_words(ctx.policy),
                  "applies": applies is not None}
        if case.is_open:  # a hold does not stop nor move the hard cap
            finish.update(_calendar_words(case.finish_by, now))
    paused = None
    if case.paused is not None:
        left = case.paused.remaining_working_days
        words = (f"Jeda: sisa {left} hari kerja saat dilanjutkan" if left else
                 "Jeda: saat dilanjutkan, batas waktu jatuh pada akhir hari kerja berikutnya")
        if case.paused.missed_due_at is not None:
            words = "Sudah terlambat saat ditunda: tetap terlambat setelah dilanjutkan"
        paused = {
            "until": case.paused.until,
            "since": case.paused.paused_at,
            "kind_label": case.paused.kind.label,
            "remaining": left,
            "words": words,
            "css": "sla-lewat" if case.paused.missed_due_at is not None else "sla-jeda",
            "held_from_label": case.paused.held_from.label,
        }
    dates = [(label, moment) for label, moment in (
        ("Diterima", case.received_at), ("Diverifikasi", case.verified_at),
        ("Ditindaklanjuti", case.followed_up_at), ("Ditutup", case.closed_at),
    )]
    return {"stage": stage, "applies": applies, "finish_by": finish, "paused": paused, "dates": dates,
            "paused_days": case.paused_calendar_days, "support": _support(ctx, case, now)}


def _support(ctx: Context, case: Case, now: datetime) -> list[dict]:
    """Each supporting OPD's own contribution deadline: done (when), running, on hold, or closed with it."""
    rows = []
    for task in case.support:
        agency = ctx.agencies.get(task.agency_id)
        row = {"agency_name": agency.name if agency else task.agency_id, "due_at": task.due_at,
               "contributed_at": task.contributed_at, "words": "", "css": ""}
        if task.pending and case.is_open and case.paused is None:
            row.update(_working_deadline(ctx, task.deadline, now))
        elif task.pending and case.paused is not None:
            row.update({"words": "Ditunda bersama laporan", "css": "sla-jeda"})
        elif not task.pending:
            row.update({"words": "Sudah berkontribusi", "css": "sla-aman"})
        rows.append(row)
    return rows


def _working_deadline(ctx: Context, deadline: Deadline, now: datetime) -> dict:
    cal = ctx.calendar
    status = sla_status(deadline, now)
    if status is SlaStatus.TERLAMBAT:
        late = cal.working_days_after(deadline.due_at, now)
        words = f"Terlambat {late} hari kerja" if late else "Terlambat (lewat batas waktu)"
    else:
        left = cal.working_days_after(now, deadline.due_at)
        words = "Jatuh tempo hari ini" if left == 0 else f"Sisa {left} hari kerja"
    return {"kind_label": deadline.kind.label, "due_at": deadline.due_at, "words": words,
            "css": SLA_CLASSES[status], "status_label": status.label}


def _calendar_words(deadline: Deadline, now: datetime) -> dict:
    from chalicelib.domain.calendar import to_wib_date

    days = (to_wib_date(deadline.due_at) - to_wib_date(now)).days
    status = sla_status(deadline, now, warn_within=timedelta(days=7))
    if status is SlaStatus.TERLAMBAT:
        words = f"Lewat {max(-days, 1)} hari kalender"
    elif days == 0:
        words = "Berakhir hari ini"
    else:
        words = f"Sisa {days} hari kalender"
    return {"words": words, "css": SLA_CLASSES[status]}


# ---------------------------------------------------------------- actions


def _actions(ctx: Context, actor: Actor, case: Case, now: datetime, values: dict[str, str]) -> list[dict]:
    from chalicelib.services.workflow import ACTIONS

    forms = []
    for action in allowed_actions(case, actor, now):
        if action not in ACTIONS or action not in ACTION_FORMS:
            continue
        heading, button, note_label = ACTION_FORMS[action]
        rule = TRANSITIONS[(case.status, action)]
        form = {
            "action": action.value,
            "heading": heading,
            "button": button,
            "note_label": note_label,
            "note_required": rule.note_required,
            "note": values.get("note", "") if values.get("action") == action.value else "",
        }
        if action is Action.FORWARD:
            form.update(_forward_fields(ctx, case))
        elif action is Action.REDISPOSE:
            form["agencies"] = _agency_choices(ctx, case)
            form["lead_agency_name"] = ctx.agencies[case.lead_agency].name if case.lead_agency in ctx.agencies \
                else case.lead_agency
        elif action is Action.ASSIGN:
            staff = ctx.officers_of(case.lead_agency) if case.lead_agency else []
            form["officers"] = [
                {"username": o.username, "name": o.display_name, "role_label": o.role.label,
                 "selected": o.username == case.assigned_officer}
                for o in sorted(staff, key=lambda o: o.display_name)
                if o.active and o.role in (Role.OPD, Role.SUPERVISOR)
            ]
        elif action is Action.MERGE:
            form["duplicates"] = likely_duplicates(ctx, case, now)
            form["merge_into"] = values.get("merge_into", "") if values.get("action") == action.value else ""
        elif action in (Action.FOLLOW_UP, Action.CONTRIBUTE):
            form["public"] = True
        elif action is Action.HOLD:
            today = ctx.calendar.local_date(now)
            form["until"] = values.get("until", "") if values.get("action") == action.value else ""
            form["until_min"] = today.isoformat()
            form["until_max"] = ctx.calendar.working_day_after(today, ctx.settings.max_hold_working_days).isoformat()
        forms.append(form)
    return forms


def _forward_fields(ctx: Context, case: Case) -> dict:
    from chalicelib.services.directory import suggest_for_text

    suggestions = suggest_for_text(ctx, " ".join(filter(None, (case.title, case.description, case.location))))
    suggested = suggestions[0]["category_id"] if suggestions else None
    chosen = case.category_id or suggested
    categories = sorted((c for c in ctx.categories.values() if c.active or c.category_id == chosen),
                        key=lambda c: c.name)
    return {
        "agencies": _agency_choices(ctx, case),
        "categories": [{"category_id": c.category_id, "name": c.name,
                        "agency_name": ctx.agencies[c.agency_id].short_name if c.agency_id in ctx.agencies
                        else c.agency_id,
                        "selected": c.category_id == chosen, "suggested": c.category_id == suggested}
                       for c in categories],
        "suggestion": {"category_id": suggested, "name": suggestions[0]["name"],
                       "matched": suggestions[0]["matched"]} if suggestions else None,
        "tiers": [{"value": t.value, "label": t.label, "selected": case.tier is t} for t in Tier],
    }


def _agency_choices(ctx: Context, case: Case) -> list[dict]:
    """Active OPDs to choose from, the case's current lead and supporting OPDs marked."""
    active = sorted((a for a in ctx.agencies.values() if a.active), key=lambda a: a.name)
    return [{"agency_id": a.agency_id, "name": a.name, "short_name": a.short_name,
             "lead": a.agency_id == case.lead_agency, "supporting": a.agency_id in case.supporting_agencies}
            for a in active]


def likely_duplicates(ctx: Context, case: Case, now: datetime) -> list[dict]:
    """Open cases of the same category received in the last 14 days, most words in common first.

    Read from the status index (newest first, one Query per open status) and one batched read of the
    candidates for their full text — never a Scan. A case without a category uses the suggested one.
    """
    from chalicelib.domain.routing import tokenize
    from chalicelib.services.directory import suggest_for_text

    category = case.category_id
    if not category:
        suggestions = suggest_for_text(ctx, f"{case.title} {case.description}")
        category = suggestions[0]["category_id"] if suggestions else None
    if not category:
        return []
    since = now - DUPLICATE_WINDOW
    candidates = {}
    for status in sorted(OPEN_STATUSES):
        cursor = None
        for _ in range(DUPLICATE_PAGES):  # newest first: stop at the first case older than the window
            page = ctx.cases.list_by_status(Status(status), DUPLICATE_SCAN, cursor)
            old = False
            for item in page.items:
                if item.received_at < since:
                    old = True
                    break
                if item.case_id != case.case_id and item.category_id == category and item.received_at <= now:
                    candidates[item.case_id] = item
            cursor = page.cursor
            if old or not cursor:
                break
    if not candidates:
        return []
    newest = sorted(candidates.values(), key=lambda s: s.received_at, reverse=True)[:25]
    full = ctx.cases.get_many([s.case_id for s in newest], consistent=False)
    words = set(tokenize(f"{case.title} {case.description} {case.location}"))
    ranked = []
    for summary in newest:
        other = full.get(summary.case_id)
        text = f"{other.title} {other.description} {other.location}" if other else summary.summary
        overlap = len(words & set(tokenize(text)))
        ranked.append((overlap, summary.received_at, summary))
    ranked.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [
        {"case_id": s.case_id, "summary": s.summary, "received_at": s.received_at, "status_label": s.status.label,
         "common_words": overlap}
        for overlap, _, s in ranked[:MAX_DUPLICATES]
    ]


# ---------------------------------------------------------------- reply


def _reply(ctx: Context, actor: Actor, case: Case, template_id: str, text: str | None, key: str | None) -> dict:
    from chalicelib.services.citizen_reply import (
        MAX_REPLY_LENGTH,
        find_reply_template,
        list_reply_templates,
        may_reply,
    )
    from chalicelib.services.notify import citizen_route

    if not may_reply(case, actor):
        return {"allowed": False}
    route = citizen_route(ctx, case)
    templates = list_reply_templates(ctx, actor)
    chosen = find_reply_template(ctx, actor, template_id) if template_id else None
    return {
        "allowed": True,
        "reachable": route is not None,
        "channel_label": channel_label(route[0]) if route else None,
        "templates": [{"template_id": t.template_id, "title": t.title, "body": t.body,
                       "selected": chosen is not None and t.template_id == chosen.template_id} for t in templates],
        "text": text if text is not None else (chosen.body if chosen else ""),
        "key": key or secrets.token_urlsafe(18),
        "max_length": MAX_REPLY_LENGTH,
    }
