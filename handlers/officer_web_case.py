"""Officer web view: the case page and what is done from it (see handlers/officer_pages.py for the plumbing).

- `GET  /petugas/kasus/{nomor}`                 the case: conversation, timeline, deadlines, actions, reply
- `POST /petugas/kasus/{nomor}/aksi/{action}`   a workflow action (303 back to the case with `?ok=<action>`)
- `POST /petugas/kasus/{nomor}/balas`           reply to the citizen on their own channel
- `POST /petugas/kasus/{nomor}/identitas`       the admin shows an anonymous reporter, with a reason (audited)
- `GET  /petugas/media/{token}`                 a photo or file of a case, through a short-lived signed link
- `GET|POST /petugas/templat`, `POST /petugas/templat/hapus`   the OPD's reply templates
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.domain.errors import NotFound, ValidationFailed
from handlers.officer_pages import officer_page
from handlers.request_input import merge_target

if TYPE_CHECKING:
    from chalicelib.domain.case import Action

officer_web_case = Blueprint(__name__)

CASE_MENU = "/petugas/"
TEMPLATE_MENU = "/petugas/templat"
TEMPLATE_ROLES = ("admin", "opd", "supervisor")


# ---------------------------------------------------------------- the case page


@officer_page(officer_web_case, "/petugas/kasus/{nomor}", menu=CASE_MENU)
def case_page_view(web, nomor: str):
    from chalicelib.services.case_page import notice_for

    return _case_response(web, nomor, notice=notice_for(web.params.get("ok", "")),
                          template_id=web.params.get("templat", "")[:40])


@officer_page(officer_web_case, "/petugas/kasus/{nomor}/aksi/{action}", methods=("POST",), menu=CASE_MENU)
def case_action(web, nomor: str, action: str):
    from chalicelib.domain.case import Action  # the domain model is kept out of `import app` (cold starts)
    from chalicelib.services.workflow import ACTIONS

    chosen = Action(action) if action in Action._value2member_map_ else None
    use_case = ACTIONS.get(chosen) if chosen else None
    if chosen is None or use_case is None:
        raise NotFound("Aksi tidak dikenal.")
    version = web.field("version", 12).strip()
    if not (version.isascii() and version.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise ValidationFailed("Versi kasus tidak terbaca. Muat ulang halaman kasus lalu coba lagi.",
                               field="version")
    try:
        case = use_case(web.ctx, web.actor, nomor, int(version), **_action_fields(web, chosen))
    except ValidationFailed as error:
        return _case_response(web, nomor, 400, errors={chosen.value: error.message},
                              form_values={**web.form, "action": chosen.value})
    from chalicelib.services.notify import notify_now

    notify_now(web.ctx, case)  # after the use case, not inside it: alerts within seconds (never raises)
    return web.redirect(f"/petugas/kasus/{quote(case.case_id, safe='')}?ok={chosen.value}")


@officer_page(officer_web_case, "/petugas/kasus/{nomor}/balas", methods=("POST",), menu=CASE_MENU)
def reply_action(web, nomor: str):
    from chalicelib.services.citizen_reply import KEY_PATTERN, MAX_REPLY_LENGTH, reply_to_citizen

    text = web.form.get("text", "")
    key = web.field("idempotency_key", 100)
    try:
        if len(text) > MAX_REPLY_LENGTH:
            raise ValidationFailed(f"Balasan paling panjang {MAX_REPLY_LENGTH} karakter.", field="text")
        result = reply_to_citizen(web.ctx, web.actor, nomor, text, key)
    except ValidationFailed as error:
        return _case_response(web, nomor, 400, errors={"reply": error.message}, reply_text=text[:4000],
                              reply_key=key if KEY_PATTERN.match(key) else None)
    code = {"sent": "balas", "pending": "balas_antre"}.get(result.state, "balas_gagal")
    return web.redirect(f"/petugas/kasus/{quote(result.case_id, safe='')}?ok={code}#percakapan")


@officer_page(officer_web_case, "/petugas/kasus/{nomor}/identitas", methods=("POST",), roles=("admin",),
              menu=CASE_MENU)
def reveal_identity_action(web, nomor: str):
    try:
        return _case_response(web, nomor, identity_reason=web.field("reason", 500))
    except ValidationFailed as error:
        return _case_response(web, nomor, 400, errors={"reason": error.message})


def _case_response(web, nomor: str, status: int = 200, *, notice: str = "", **options) -> Response:
    from chalicelib.services.case_page import case_page
    from chalicelib.services.media_links import sign_media_token
    from chalicelib.services.workflow import load_case

    ctx, actor = web.ctx, web.actor
    case = load_case(ctx, actor, nomor)
    session_version = web.officer.session_version

    def media_url(message) -> str:
        token = sign_media_token(ctx, case.case_id, message.media_key, actor, session_version, "web")
        return f"{web.base}/petugas/media/{token}"

    view = case_page(ctx, actor, case, ctx.messages.for_case(case.case_id), media_url=media_url, **options)
    return web.page("kasus.html", status, notice=notice, **view)


def _action_fields(web, action: Action) -> dict:
    """The form fields each action takes (the same rules as the JSON API's)."""
    from chalicelib.domain.case import Action

    note = web.field("note", 4000)
    if action in (Action.FORWARD, Action.REDISPOSE):
        supporting = [a[:100] for a in web.form_lists.get("supporting_agencies", []) if a]
        fields = {
            "lead_agency": web.field("lead_agency", 100) or None,
            "supporting_agencies": tuple(supporting[:10]),
            "category_id": web.field("category_id", 100) or None,
            "note": note,
        }
        if action is Action.FORWARD:
            fields["tier"] = web.field("tier", 50) or None
        return fields
    if action is Action.ASSIGN:
        return {"officer": web.field("officer", 100), "note": note}
    if action is Action.MERGE:
        return {"into": merge_target(web.field("merge_into", 40)), "note": note}
    if action in (Action.FOLLOW_UP, Action.CONTRIBUTE):
        return {"note": note, "public": web.form.get("public") in ("1", "on", "true")}
    if action is Action.HOLD:
        return {"note": note, "until": web.field("until", 10) or None}
    return {"note": note}


# ---------------------------------------------------------------- media


@officer_page(officer_web_case, "/petugas/media/{token}", menu=CASE_MENU)
def media_view(web, token: str):
    from chalicelib.services.media_links import media_for_web

    found = media_for_web(web.ctx, token, web.actor)
    return Response(body=found.body, status_code=200, headers=found.headers)


# ---------------------------------------------------------------- reply templates


@officer_page(officer_web_case, "/petugas/templat", roles=TEMPLATE_ROLES, menu=TEMPLATE_MENU)
def templates_page(web):
    done = {"tambah": "Templat sudah disimpan.", "hapus": "Templat sudah dihapus."}
    return _templates_response(web, notice=done.get(web.params.get("ok", ""), ""))


@officer_page(officer_web_case, "/petugas/templat", methods=("POST",), roles=TEMPLATE_ROLES, menu=TEMPLATE_MENU)
def add_template_action(web):
    from chalicelib.services.citizen_reply import add_reply_template

    title, body = web.form.get("title", ""), web.form.get("body", "")
    key = web.field("idempotency_key", 100)
    try:
        add_reply_template(web.ctx, web.actor, web.field("title", 200), web.field("body", 2000), key)
    except ValidationFailed as error:
        field = str(error.details.get("field") or "title")
        return _templates_response(web, 400, errors={field: error.message},
                                   values={"title": title[:200], "body": body[:2000]})
    return web.redirect("/petugas/templat?ok=tambah")


@officer_page(officer_web_case, "/petugas/templat/hapus", methods=("POST",), roles=TEMPLATE_ROLES,
              menu=TEMPLATE_MENU)
def delete_template_action(web):
    from chalicelib.services.citizen_reply import delete_reply_template

    delete_reply_template(web.ctx, web.actor, web.field("template_id", 40))
    return web.redirect("/petugas/templat?ok=hapus")


def _templates_response(web, status: int = 200, *, notice: str = "", errors: dict | None = None,
                        values: dict | None = None) -> Response:
    from chalicelib.services.citizen_reply import MAX_REPLY_LENGTH, MAX_TEMPLATE_TITLE, list_reply_templates

    agency = web.ctx.agencies.get(web.officer.agency_id)
    return web.page(
        "templat.html", status, notice=notice, errors=errors or {}, values=values or {"title": "", "body": ""},
        templates=list_reply_templates(web.ctx, web.actor),
        agency_name=agency.name if agency else web.officer.agency_id,
        idempotency_key=secrets.token_urlsafe(18), max_title=MAX_TEMPLATE_TITLE, max_body=MAX_REPLY_LENGTH,
    )
