"""Presenters: what an officer may see of a case, shaped into JSON-ready views for the API and the web view.

Confidentiality lives here, in one place: the reporter of an *anonim* case is visible to the admin
koordinator only, and every time it is actually shown the audit trail records it (who, which case, when —
never the identity itself). Citizens never appear by their ids (`citizen:tel:+62…`): a citizen actor is
"Pelapor", a scheduled job "Sistem", an officer their display name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from chalicelib.domain.calendar import WIB
from chalicelib.domain.case import Actor, Case, Role
from chalicelib.domain.lifecycle import allowed_actions
from chalicelib.domain.messages import CaseMessage
from chalicelib.domain.sla import CapStart, Deadline, DeadlineKind, SlaPolicy, sla_status
from chalicelib.services.context import Context
from chalicelib.store.cases import CaseSummary

WITHDRAWN = "Pesan ditarik oleh pengirim"


def wib(moment: datetime | None) -> str | None:
    return moment.astimezone(WIB).isoformat() if moment else None


def deadline_basis(case: Case, policy: SlaPolicy) -> dict | None:
    """Which deadline applies now: the stage's own (``batas_tahap``) or, when it falls earlier, the hard cap
    (``batas_akhir``). Warnings and escalation count from this same deadline (``Case.next_deadline``).
    ``stage`` is the stage's own deadline when the cap overrides it."""
    nxt = case.next_deadline
    if nxt is None:
        return None
    if nxt.kind is DeadlineKind.BATAS_AKHIR:
        stage = case.deadline
        return {"basis": "batas_akhir", "basis_label": f"Batas akhir {policy.finish_cap_days} hari",
                "stage": stage if stage is not None and stage.due_at > nxt.due_at else None}
    return {"basis": "batas_tahap", "basis_label": "Batas tahap", "stage": None}


def cap_start_words(policy: SlaPolicy) -> str:
    """From when the hard cap counts, in the officer's words."""
    return "sejak diverifikasi" if policy.cap_starts is CapStart.VERIFIED else "sejak diterima"


def _deadline_json(deadline: Deadline) -> dict:
    return {"kind": deadline.kind.value, "label": deadline.kind.label, "due_at": wib(deadline.due_at)}


def reporter_visible(case: Case, actor: Actor) -> bool:
    return not case.anonymous or actor.role is Role.ADMIN


def case_view(ctx: Context, case: Case, actor: Actor, *, messages: list[CaseMessage] | None = None,
              media_url: Callable[[CaseMessage], str | None] | None = None,
              identity_reason: str | None = None) -> dict:
    """The case as the JSON API shows it; with `messages`, its conversation too (media through `media_url`).

    An anonymous reporter is returned only to the admin koordinator who states why (`identity_reason`), and
    each such answer is written to the audit trail, as on the case page.
    """
    now = ctx.now()
    nxt = case.next_deadline
    basis = deadline_basis(case, ctx.policy)
    reason = (identity_reason or "").strip()[:500]
    show_reporter = reporter_visible(case, actor) and (not case.anonymous or bool(reason))
    if case.anonymous and show_reporter:
        record_identity_view(ctx, actor, case, reason=reason, via="api")
    agencies = ctx.agencies
    names = officer_names(ctx, case_agencies(ctx, case))
    view = {
        "case_id": case.case_id,
        "version": case.version,
        "status": case.status.value,
        "status_label": case.status.label,
        "channel": case.channel.value,
        "title": case.title,
        "description": case.description,
        "location": case.location,
        "anonymous": case.anonymous,
        "confidential": case.confidential,
        "reporter": _reporter(case) if show_reporter else None,
        "category_id": case.category_id,
        "tier": case.tier.value if case.tier else None,
        "lead_agency": case.lead_agency,
        "lead_agency_name": agencies[case.lead_agency].name if case.lead_agency in agencies else None,
        "supporting_agencies": list(case.supporting_agencies),
        # each supporting OPD's own contribution deadline (its note never counts as the lead's follow-up)
        "support": [
            {
                "agency_id": t.agency_id,
                "agency_name": agencies[t.agency_id].name if t.agency_id in agencies else None,
                "due_at": wib(t.due_at),
                "contributed_at": wib(t.contributed_at),
                "sla": sla_status(t.deadline, now).value if t.pending and case.is_open else None,
                "escalation_level": t.escalation_level,
            }
            for t in case.support
        ],
        "assigned_officer": case.assigned_officer,
        "received_at": wib(case.received_at),
        "verified_at": wib(case.verified_at),
        "followed_up_at": wib(case.followed_up_at),
        "closed_at": wib(case.closed_at),
        "merged_into": case.merged_into,
        "rating": case.rating,
        # the deadline that applies (the earlier of the stage's own and the hard cap) and which one it is
        "deadline": {
            **_deadline_json(nxt),
            "sla": sla_status(nxt, now).value,
            "basis": basis["basis"],
            "basis_label": basis["basis_label"],
            "stage": _deadline_json(basis["stage"]) if basis["stage"] else None,
        }
        if nxt and basis
        else None,
        "paused": {
            "since": wib(case.paused.paused_at),
            "remaining_working_days": case.paused.remaining_working_days,
            "until": wib(case.paused.until),
            "overdue_since": wib(case.paused.missed_due_at),
        }
        if case.paused
        else None,
        "finish_by": wib(case.finish_by.due_at) if case.finish_by else None,
        "allowed_actions": [a.value for a in allowed_actions(case, actor, now)],
        "reopened": case.reopen_count,
        "timeline": [
            {
                "seq": e.seq,
                "at": wib(e.at),
                "action": e.action.value,
                "label": e.action.label,
                "actor": actor_label(e.actor_id, e.actor_role, names),
                "role": e.actor_role.value,
                "from_status": e.from_status.value if e.from_status else None,
                "to_status": e.to_status.value,
                "note": e.note,
                "public": e.public,
                "agencies": list(e.agencies) or None,
                "agency": e.agency,
            }
            for e in case.timeline
        ],
    }
    if messages is not None:
        view["messages"] = messages_view(messages, names, media_url or (lambda _: None))
    return view


# ---------------------------------------------------------------- who, in words


def case_agencies(ctx: Context, case: Case) -> list[str]:
    """The agencies whose officers may appear on a case: the admin's, leadership's, lead, supporting and every
    agency that acted on it."""
    found = [ctx.settings.admin_agency, ctx.settings.leadership_agency, case.lead_agency,
             *case.supporting_agencies, *(e.actor_agency for e in case.timeline)]
    return [a for a in dict.fromkeys(found) if a]


def officer_names(ctx: Context, agencies: Iterable[str]) -> dict[str, str]:
    """username -> display name of the officers of these agencies (the directory is cached per process)."""
    names: dict[str, str] = {}
    for agency in agencies:
        for officer in ctx.officers_of(agency):
            names[officer.username] = officer.display_name
    return names


def actor_label(actor_id: str, role: Role, names: dict[str, str]) -> str:
    """How an actor is shown to anyone: "Pelapor", "Sistem", or the officer's display name (else role)."""
    if role is Role.CITIZEN or actor_id.startswith("citizen:"):
        return Role.CITIZEN.label
    if role is Role.SYSTEM or actor_id.startswith("system:"):
        return Role.SYSTEM.label
    return names.get(actor_id.removeprefix("officer:")) or role.label


def message_author(message: CaseMessage, names: dict[str, str]) -> str:
    if message.direction != "out":
        return Role.CITIZEN.label
    name = names.get((message.author or "").removeprefix("officer:"))
    return f"{name} (petugas)" if name else "Petugas"


def map_url(latitude: float, longitude: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}"


def messages_view(messages: list[CaseMessage], names: dict[str, str],
                  media_url: Callable[[CaseMessage], str | None]) -> list[dict]:
    """The conversation oldest first, as the JSON API shows it."""
    shown = []
    for m in sorted(messages, key=lambda m: (m.sent_at, m.message_id)):
        location = None
        if not m.withdrawn and m.latitude is not None and m.longitude is not None:
            lat, lon = float(m.latitude), float(m.longitude)
            location = {"lat": lat, "lon": lon, "map_url": map_url(lat, lon)}
        shown.append({
            "direction": m.direction,
            "kind": m.kind,
            "text": WITHDRAWN if m.withdrawn else m.text,
            "at": wib(m.sent_at),
            "media_url": media_url(m) if m.media_key and not m.withdrawn else None,
            "media_type": m.media_type if m.media_key and not m.withdrawn else None,
            "location": location,
            "author": message_author(m, names),
            "withdrawn": m.withdrawn,
        })
    return shown


def record_identity_view(ctx: Context, actor: Actor, case: Case, *, reason: str | None, via: str) -> None:
    """The durable audit entry for showing an anonymous reporter's identity (never the identity itself)."""
    ctx.audit.record("identity", actor.actor_id.removeprefix("officer:"), ctx.now(), case_id=case.case_id,
                     outcome="ditampilkan", reason=reason,
                     detail="lewat API" if via == "api" else "lewat halaman kasus")


def summary_view(item: CaseSummary, now: datetime) -> dict:
    return {
        "case_id": item.case_id,
        "version": item.version,
        "status": item.status.value,
        "summary": item.summary,
        "category_id": item.category_id,
        "tier": item.tier,
        "channel": item.channel,
        "lead_agency": item.lead_agency,
        "assigned_officer": item.assigned_officer,
        "received_at": wib(item.received_at),
        "due_at": wib(item.due_at),
        "due_kind": item.due_kind,
        "overdue": bool(item.due_at and item.due_at < now),
        "anonymous": item.anonymous,
        "confidential": item.confidential,
    }


def _reporter(case: Case) -> dict:
    r = case.reporter
    return {"name": r.name, "phone": r.phone, "email": r.email, "channel_user_id": r.channel_user_id}
