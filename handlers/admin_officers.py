"""JSON routes for administering officers (`/api/admin/officers...`): list, create, read, edit, reset a password.

Deactivating and reactivating stay at `/api/admin/officers/{username}/deactivate|activate` in
handlers/officer_api.py. Each view parses, calls one service of chalicelib/services/officer_admin.py, and shapes
the answer; services are imported inside the views (cheap `import app`).
"""

from __future__ import annotations

from chalice import Blueprint, Response

from handlers.errors import route
from handlers.request_input import json_body, officer_call, text_field

admin_officers = Blueprint(__name__)

PROFILE_FIELDS = {"display_name": 200, "role": 20, "agency_id": 100, "phone": 40, "email": 200}
CREATE_FIELDS = {"username": 100, **PROFILE_FIELDS, "alert_channel": 10}


def _fields(body: dict, limits: dict[str, int]) -> dict[str, str]:
    """The given text fields of the body (absent ones stay absent: an edit changes only what it names)."""
    return {name: text_field(body, name, max_length=limit) for name, limit in limits.items() if name in body}


@route(admin_officers, "/api/admin/officers", methods=["GET"])
def list_officers_route() -> dict:
    from chalicelib.services.officer_admin import list_officers

    ctx, params, actor = officer_call(admin_officers)
    return {"items": list_officers(ctx, actor, agency=params.get("agency", ""), role=params.get("role", ""),
                                   active=params.get("active", ""))}


@route(admin_officers, "/api/admin/officers", methods=["POST"])
def create_officer_route() -> Response:
    from chalicelib.services.officer_admin import create_officer, officer_view

    ctx, _, actor = officer_call(admin_officers)
    created = create_officer(ctx, actor, _fields(json_body(admin_officers.current_request), CREATE_FIELDS))
    body = {"officer": officer_view(ctx, created.officer), "initial_password": created.initial_password}
    return Response(body=body, status_code=201,
                    headers={"Location": f"/api/admin/officers/{created.officer.username}",
                             "Cache-Control": "no-store"})


@route(admin_officers, "/api/admin/officers/{username}", methods=["GET"])
def get_officer_route(username: str) -> dict:
    from chalicelib.services.officer_admin import get_officer

    ctx, _, actor = officer_call(admin_officers)
    return get_officer(ctx, actor, username)


@route(admin_officers, "/api/admin/officers/{username}", methods=["POST"])
def update_officer_route(username: str) -> dict:
    from chalicelib.services.officer_admin import update_officer

    ctx, _, actor = officer_call(admin_officers)
    return update_officer(ctx, actor, username, _fields(json_body(admin_officers.current_request), PROFILE_FIELDS))


@route(admin_officers, "/api/admin/officers/{username}/reset-password", methods=["POST"])
def reset_password_route(username: str) -> Response:
    from chalicelib.services.officer_admin import reset_password

    ctx, _, actor = officer_call(admin_officers)
    reset = reset_password(ctx, actor, username)
    return Response(body={"username": reset.officer.username, "initial_password": reset.initial_password},
                    status_code=200, headers={"Cache-Control": "no-store"})
