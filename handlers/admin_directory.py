"""JSON admin API for the city's OPDs and categories (admin koordinator only; rules in
chalicelib/services/directory_admin.py). Only GET and POST: an edit is a POST of the fields that change,
retiring is `{"active": false}`, deleting an OPD repeats its code in `confirm`."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.domain.errors import ValidationFailed
from handlers.errors import route
from handlers.request_input import json_body, officer_call, text_field

admin_directory = Blueprint(__name__)


def _optional_text(body: dict, name: str, max_length: int = 200) -> str | None:
    return text_field(body, name, max_length=max_length) if body.get(name) is not None else None


def _optional_bool(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationFailed(f"Kolom '{name}' harus true atau false.", field=name)
    return value


def _keywords(body: dict) -> list[str] | None:
    value = body.get("keywords")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 200:
        raise ValidationFailed("Kolom 'keywords' harus berupa daftar teks.", field="keywords")
    return value


# ---------------------------------------------------------------- OPDs


@route(admin_directory, "/api/admin/agencies", methods=["GET"])
def list_agencies_route() -> dict:
    from chalicelib.services.directory_admin import list_agencies

    ctx, _, actor = officer_call(admin_directory)
    return {"items": list_agencies(ctx, actor)}


@route(admin_directory, "/api/admin/agencies", methods=["POST"])
def create_agency_route() -> Response:
    from chalicelib.services.directory_admin import create_agency

    ctx, _, actor = officer_call(admin_directory)
    body = json_body(admin_directory.current_request)
    agency = create_agency(ctx, actor, text_field(body, "agency_id", max_length=40),
                           text_field(body, "name", max_length=200), text_field(body, "short_name", max_length=100))
    return Response(body=agency, status_code=201, headers={"Location": f"/api/admin/agencies/{agency['agency_id']}"})


@route(admin_directory, "/api/admin/agencies/{agency_id}", methods=["GET"])
def get_agency_route(agency_id: str) -> dict:
    from chalicelib.services.directory_admin import get_agency

    ctx, _, actor = officer_call(admin_directory)
    return get_agency(ctx, actor, agency_id)


@route(admin_directory, "/api/admin/agencies/{agency_id}", methods=["POST"])
def update_agency_route(agency_id: str) -> dict:
    from chalicelib.services.directory_admin import update_agency

    ctx, _, actor = officer_call(admin_directory)
    body = json_body(admin_directory.current_request)
    return update_agency(ctx, actor, agency_id, name=_optional_text(body, "name"),
                         short_name=_optional_text(body, "short_name", 100), active=_optional_bool(body, "active"))


@route(admin_directory, "/api/admin/agencies/{agency_id}/delete", methods=["POST"])
def delete_agency_route(agency_id: str) -> Response:
    from chalicelib.services.directory_admin import delete_agency

    ctx, _, actor = officer_call(admin_directory)
    body = json_body(admin_directory.current_request)
    delete_agency(ctx, actor, agency_id, text_field(body, "confirm", max_length=40))
    return Response(body="", status_code=204)


# ---------------------------------------------------------------- categories


@route(admin_directory, "/api/admin/categories", methods=["GET"])
def list_categories_route() -> dict:
    from chalicelib.services.directory_admin import list_categories

    ctx, _, actor = officer_call(admin_directory)
    return {"items": list_categories(ctx, actor)}


@route(admin_directory, "/api/admin/categories", methods=["POST"])
def create_category_route() -> Response:
    from chalicelib.services.directory_admin import create_category

    ctx, _, actor = officer_call(admin_directory)
    body = json_body(admin_directory.current_request)
    category = create_category(
        ctx, actor, text_field(body, "category_id", max_length=40), text_field(body, "name", max_length=200),
        text_field(body, "agency_id", max_length=40), _keywords(body) or [],
        text_field(body, "default_tier", "normatif", max_length=40),
    )
    return Response(body=category, status_code=201,
                    headers={"Location": f"/api/admin/categories/{category['category_id']}"})


@route(admin_directory, "/api/admin/categories/{category_id}", methods=["GET"])
def get_category_route(category_id: str) -> dict:
    from chalicelib.services.directory_admin import get_category

    ctx, _, actor = officer_call(admin_directory)
    return get_category(ctx, actor, category_id)


@route(admin_directory, "/api/admin/categories/{category_id}", methods=["POST"])
def update_category_route(category_id: str) -> dict:
    from chalicelib.services.directory_admin import update_category

    ctx, _, actor = officer_call(admin_directory)
    body = json_body(admin_directory.current_request)
    return update_category(
        ctx, actor, category_id, name=_optional_text(body, "name"), agency_id=_optional_text(body, "agency_id", 40),
        keywords=_keywords(body), default_tier=_optional_text(body, "default_tier", 40),
        active=_optional_bool(body, "active"),
    )
