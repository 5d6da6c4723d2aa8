"""JSON officer API: login, work lists, case entry, workflow actions, directory and dashboard.

Each view parses the request, calls one service function and shapes the answer. Services (and with them
PynamoDB and botocore) are imported inside the views, so `import app` stays as cheap as the bare framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib.domain.errors import ValidationFailed
from handlers.errors import route
from handlers.officer_pages import client_address
from handlers.request_input import (
    bearer_token,
    decode_cursor,
    encode_cursor,
    json_body,
    merge_target,
    officer_call,
    optional_int,
    query_int,
    text_field,
)

if TYPE_CHECKING:
    from chalicelib.domain.case import Action

officer_api = Blueprint(__name__)


@route(officer_api, "/api/auth/login", methods=["POST"])
def login_view() -> dict:
    from chalicelib.services.auth import issue_token
    from chalicelib.services.context import get_context
    from chalicelib.services.sessions import verify_credentials

    ctx = get_context()
    request = officer_api.current_request
    body = json_body(request)
    officer = verify_credentials(
        ctx, text_field(body, "username", max_length=100), text_field(body, "password", max_length=200),
        client_address(request), via="api",
    )
    token = issue_token(ctx, officer)
    return {
        "token": token,
        "officer": {
            "username": officer.username,
            "display_name": officer.display_name,
            "role": officer.role.value,
            "agency_id": officer.agency_id,
        },
    }


@route(officer_api, "/api/auth/refresh", methods=["POST"])
def refresh_view() -> dict:
    """A fresh short-lived token for a valid one, until the sign-in is 12 hours old."""
    from chalicelib.services.auth import renew_token
    from chalicelib.services.context import get_context

    return {"token": renew_token(get_context(), bearer_token(officer_api.current_request))}


@route(officer_api, "/api/auth/logout", methods=["POST"])
def logout_view() -> Response:
    """Sign out everywhere: every token and web session of this officer ends at once."""
    from chalicelib.services.auth import sign_out_everywhere
    from chalicelib.services.context import get_context

    sign_out_everywhere(get_context(), bearer_token(officer_api.current_request))
    return Response(body="", status_code=204)


@route(officer_api, "/api/me/password", methods=["POST"])
def change_password_view() -> dict:
    """Replace the password (a one-time one too): every other token and session ends; a fresh token answers."""
    from chalicelib.services.auth import issue_token
    from chalicelib.services.sessions import change_password_by_api

    ctx, _, actor = officer_call(officer_api, password_change_only=True)
    body = json_body(officer_api.current_request)
    officer = change_password_by_api(ctx, actor, text_field(body, "current", max_length=200),
                                     text_field(body, "new", max_length=200))
    return {"token": issue_token(ctx, officer)}


@route(officer_api, "/api/me", methods=["GET"])
def me_view() -> dict:
    _, _, actor = officer_call(officer_api, password_change_only=True)
    return {"actor_id": actor.actor_id, "role": actor.role.value, "agency_id": actor.agency_id}


@route(officer_api, "/api/directory", methods=["GET"])
def directory_route() -> dict:
    from chalicelib.services.directory import directory_view

    ctx, _, _ = officer_call(officer_api)
    return directory_view(ctx)


@route(officer_api, "/api/categories/suggest", methods=["GET"])
def suggest_route() -> dict:
    from chalicelib.services.directory import suggest_for_text

    ctx, params, _ = officer_call(officer_api)
    return {"suggestions": suggest_for_text(ctx, params.get("text", "")[:4000])}


@route(officer_api, "/api/cases", methods=["GET"])
def list_cases_route() -> dict:
    from chalicelib.services.presenters import summary_view
    from chalicelib.services.workflow import list_cases

    ctx, params, actor = officer_call(officer_api)
    page = list_cases(
        ctx,
        actor,
        status=params.get("status"),
        agency=params.get("agency"),
        limit=query_int(params, "limit", 50),
        cursor=decode_cursor(ctx, params.get("cursor")),
    )
    now = ctx.now()
    return {"items": [summary_view(item, now) for item in page.items], "cursor": encode_cursor(ctx, page.cursor)}


@route(officer_api, "/api/cases", methods=["POST"])
def create_case_route() -> Response:
    from chalicelib.domain.case import Reporter  # the domain model is kept out of `import app` (cold starts)
    from chalicelib.services.notify import notify_now
    from chalicelib.services.presenters import case_view
    from chalicelib.services.workflow import create_case_from_entry

    ctx, _, actor = officer_call(officer_api)
    request = officer_api.current_request
    body = json_body(request)
    reporter = body.get("reporter") or {}
    if not isinstance(reporter, dict):
        raise ValidationFailed("Kolom 'reporter' harus berupa objek.", field="reporter")
    case = create_case_from_entry(
        ctx,
        actor,
        channel=text_field(body, "channel", "telepon", 20),
        description=text_field(body, "description"),
        idempotency_key=request.headers.get("idempotency-key", ""),
        reporter=Reporter(
            name=text_field(reporter, "name", max_length=200) or None,
            phone=_phone(text_field(reporter, "phone", max_length=40)),
            email=text_field(reporter, "email", max_length=200) or None,
        ),
        title=text_field(body, "title", max_length=200),
        location=text_field(body, "location", max_length=500),
        anonymous=bool(body.get("anonymous", False)),
        confidential=bool(body.get("confidential", False)),
        category_id=text_field(body, "category_id", max_length=100) or None,
        received_at=_received_at(text_field(body, "received_at", max_length=40)),
    )
    notify_now(ctx, case)  # the admin koordinator hears of it within seconds (never raises)
    return Response(
        body=case_view(ctx, case, actor), status_code=201, headers={"Location": f"/api/cases/{case.case_id}"}
    )


@route(officer_api, "/api/cases/{case_id}", methods=["GET"])
def get_case_route(case_id: str) -> dict:
    from chalicelib.services.auth import read_token
    from chalicelib.services.media_links import sign_media_token
    from chalicelib.services.presenters import case_view
    from chalicelib.services.workflow import load_case
    from handlers.officer_pages import base_path

    ctx, params, actor = officer_call(officer_api)
    case = load_case(ctx, actor, case_id)
    session_version = read_token(ctx, bearer_token(officer_api.current_request)).get("sv", 0)  # verified above
    base = base_path(ctx)

    def media_url(message) -> str:  # short-lived signed link: works in an <img> without the bearer token
        token = sign_media_token(ctx, case.case_id, message.media_key, actor, session_version, "api")
        return f"{base}/api/media/{token}"

    return case_view(ctx, case, actor, messages=ctx.messages.for_case(case.case_id), media_url=media_url,
                     identity_reason=params.get("identity_reason"))


@route(officer_api, "/api/media/{token}", methods=["GET"])
def media_route(token: str) -> Response:
    from chalicelib.services.context import get_context
    from chalicelib.services.media_links import media_for_api

    found = media_for_api(get_context(), token)
    return Response(body=found.body, status_code=200, headers=found.headers)


@route(officer_api, "/api/cases/{case_id}/actions/{action}", methods=["POST"])
def act_route(case_id: str, action: str) -> dict:
    from chalicelib.domain.case import Action  # the domain model is kept out of `import app` (cold starts)
    from chalicelib.services.notify import notify_now
    from chalicelib.services.presenters import case_view
    from chalicelib.services.workflow import ACTIONS

    ctx, _, actor = officer_call(officer_api)
    body = json_body(officer_api.current_request)
    chosen = Action(action) if action in Action._value2member_map_ else None
    use_case = ACTIONS.get(chosen) if chosen else None
    if use_case is None:
        raise ValidationFailed(f"Aksi '{action}' tidak dikenal.", field="action")
    case = use_case(ctx, actor, case_id, _required_version(body), **_action_fields(chosen, body))
    notify_now(ctx, case)  # after the use case, not inside it: alerts within seconds (never raises)
    return case_view(ctx, case, actor)


@route(officer_api, "/api/dashboard", methods=["GET"])
def dashboard_route() -> dict:
    from chalicelib.services.dashboard import dashboard

    ctx, params, actor = officer_call(officer_api)
    months = query_int(params, "months", 0) or None
    return dashboard(
        ctx, actor, first=params.get("from"), last=params.get("to"), agency=params.get("agency"),
        category=params.get("category"), channel=params.get("channel"), by=params.get("by"), months=months,
    )


@route(officer_api, "/api/rekap", methods=["GET"])
def recap_route() -> Response:
    """The monthly recap per OPD as a CSV or XLSX attachment (`?bulan=YYYY-MM&format=csv|xlsx&agency=`)."""
    from chalicelib.services.recap import recap_download

    ctx, params, actor = officer_call(officer_api)
    body, content_type, filename = recap_download(
        ctx, actor, params.get("bulan") or "", params.get("format") or "", params.get("agency") or None
    )
    return Response(
        body=body.decode("utf-8") if content_type.startswith("text/") else body,  # Chalice sends bytes only
        status_code=200,  # for binary types (the XLSX is one)
        headers={"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


def _required_version(body: dict) -> int:
    """The case version the officer acted on: required, so no action ever lands on a case they have not seen
    (a merge checks it against the case being merged; the target's own version is re-read)."""
    version = optional_int(body, "version")
    if version is None:
        raise ValidationFailed("Kolom 'version' wajib diisi: versi kasus yang Anda lihat.", field="version")
    if version < 1:
        raise ValidationFailed("Kolom 'version' harus bilangan bulat positif.", field="version")
    return version


def _action_fields(action: Action, body: dict) -> dict:
    """The body fields each action takes, validated as text."""
    from chalicelib.domain.case import Action

    note = text_field(body, "note")
    if action in (Action.FORWARD, Action.REDISPOSE):
        supporting = body.get("supporting_agencies") or []
        if not isinstance(supporting, list) or not all(isinstance(a, str) and len(a) <= 100 for a in supporting):
            raise ValidationFailed("Kolom 'supporting_agencies' harus daftar kode OPD.", field="supporting_agencies")
        fields = {
            "lead_agency": text_field(body, "lead_agency", max_length=100) or None,
            "supporting_agencies": tuple(supporting[:10]),
            "category_id": text_field(body, "category_id", max_length=100) or None,
            "note": note,
        }
        if action is Action.FORWARD:
            fields["tier"] = text_field(body, "tier", max_length=50) or None
        return fields
    if action is Action.ASSIGN:
        return {"officer": text_field(body, "officer", max_length=100), "note": note}
    if action is Action.MERGE:
        return {"into": merge_target(text_field(body, "merge_into", max_length=40)), "note": note}
    if action in (Action.FOLLOW_UP, Action.CONTRIBUTE):
        return {"note": note, "public": body.get("public", True) is not False}
    if action is Action.HOLD:
        return {"note": note, "until": text_field(body, "until", max_length=10) or None}
    return {"note": note}


def _received_at(raw: str):
    """`received_at`: an ISO 8601 moment (a time without offset is WIB) or a date; empty means now."""
    from datetime import UTC, datetime

    from chalicelib.domain.calendar import WIB

    if not raw:
        return None
    if len(raw) == 10:
        from chalicelib.services.context import get_context
        from chalicelib.services.manual_entry import received_moment

        return received_moment(get_context(), raw, "")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("Kolom 'received_at' harus tanggal/waktu ISO 8601.", field="received_at") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=WIB)).astimezone(UTC)


def _phone(raw: str) -> str | None:
    from chalicelib.domain.phone import normalize_phone  # phonenumbers loads lazily, off the cold path

    return normalize_phone(raw) if raw else None


@route(officer_api, "/api/outbox/failed", methods=["GET"])
def failed_outbox_route() -> dict:
    from chalicelib.services.outbox_admin import list_failed_messages

    ctx, params, actor = officer_call(officer_api)
    return {"items": list_failed_messages(ctx, actor, query_int(params, "limit", 50))}


@route(officer_api, "/api/outbox/{message_id}/retry", methods=["POST"])
def retry_outbox_route(message_id: str) -> dict:
    from urllib.parse import unquote

    from chalicelib.services.outbox_admin import retry_failed_message

    ctx, _, actor = officer_call(officer_api)
    return retry_failed_message(ctx, actor, unquote(message_id))


@route(officer_api, "/api/me/line-link", methods=["POST"])
def line_link_route() -> Response:
    from chalicelib.services.officer_line import issue_line_link_code

    ctx, _, actor = officer_call(officer_api)
    return Response(body=issue_line_link_code(ctx, actor), status_code=201)


@route(officer_api, "/api/agencies/{agency_id}/line-group-code", methods=["POST"])
def line_group_code_route(agency_id: str) -> Response:
    from urllib.parse import unquote

    from chalicelib.services.line_groups import issue_group_code

    ctx, _, actor = officer_call(officer_api)
    return Response(body=issue_group_code(ctx, actor, unquote(agency_id)), status_code=201)


@route(officer_api, "/api/admin/officers/{username}/deactivate", methods=["POST"])
def deactivate_officer_route(username: str) -> dict:
    from chalicelib.services.officer_admin import set_active as set_officer_active

    ctx, _, actor = officer_call(officer_api)
    return set_officer_active(ctx, actor, username, active=False)


@route(officer_api, "/api/admin/officers/{username}/activate", methods=["POST"])
def activate_officer_route(username: str) -> dict:
    from chalicelib.services.officer_admin import set_active as set_officer_active

    ctx, _, actor = officer_call(officer_api)
    return set_officer_active(ctx, actor, username, active=True)
