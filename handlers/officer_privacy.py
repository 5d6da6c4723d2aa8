"""UU PDP requests of citizens, served by the admin koordinator: data export and erasure.

JSON (bearer token, admin koordinator only):
- `POST /api/admin/privacy/export` {identifier, reason, include_files?, format?: "json"|"zip"}
- `POST /api/admin/privacy/erase`  {identifier, reason, confirm: true}
Web view (admin only): `GET|POST /petugas/admin/privasi` — the same two forms, and this month's requests.

Each view parses, calls one function of `chalicelib.services.privacy` and shapes the answer; services are
imported inside the views so `import app` stays cheap.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib.domain.errors import DomainError, ValidationFailed
from handlers.errors import route, status_of
from handlers.officer_pages import SECURITY_HEADERS, officer_page
from handlers.request_input import json_body, officer_call, text_field

officer_privacy = Blueprint(__name__)

PAGE = "/petugas/admin/privasi"
ZIP_TYPE = "application/zip"


def _download_name(kind: str, now: datetime, extension: str) -> str:
    return f"aduan-{kind}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.{extension}"


def _zip_response(body: bytes, now: datetime) -> Response:
    return Response(body=body, status_code=200, headers={
        **SECURITY_HEADERS, "Content-Type": ZIP_TYPE,
        "Content-Disposition": f'attachment; filename="{_download_name("ekspor-data", now, "zip")}"',
    })


# ---------------------------------------------------------------- JSON API


@route(officer_privacy, "/api/admin/privacy/export", methods=["POST"])
def export_route():
    from chalicelib.services.auth import read_token
    from chalicelib.services.media_links import sign_media_token
    from chalicelib.services.privacy import export_person, export_zip
    from handlers.officer_pages import base_path

    ctx, _, actor = officer_call(officer_privacy)
    request = officer_privacy.current_request
    body = json_body(request)
    wanted = text_field(body, "format", "json", max_length=10)
    if wanted not in ("json", "zip"):
        raise ValidationFailed("Format harus 'json' atau 'zip'.", field="format")
    include_files = body.get("include_files", False)
    if not isinstance(include_files, bool):
        raise ValidationFailed("Kolom 'include_files' harus true atau false.", field="include_files")
    header = request.headers.get("authorization", "")
    session_version = read_token(ctx, header[7:].strip()).get("sv", 0)  # already verified by officer_call
    base = base_path(ctx)

    def media_url(case_id: str, media_key: str) -> str:  # good for ten minutes, for this admin only
        return f"{base}/api/media/{sign_media_token(ctx, case_id, media_key, actor, session_version, 'api')}"

    identifier = text_field(body, "identifier", max_length=320)
    reason = text_field(body, "reason", max_length=500)
    if wanted == "zip":
        return _zip_response(export_zip(ctx, actor, identifier, reason, media_url=media_url), ctx.now())
    return export_person(ctx, actor, identifier, reason, media_url=media_url, include_files=include_files)


@route(officer_privacy, "/api/admin/privacy/erase", methods=["POST"])
def erase_route() -> dict:
    from chalicelib.services.privacy import erase_person

    ctx, _, actor = officer_call(officer_privacy)
    body = json_body(officer_privacy.current_request)
    return erase_person(ctx, actor, text_field(body, "identifier", max_length=320),
                        text_field(body, "reason", max_length=500), body.get("confirm"))


# ---------------------------------------------------------------- web view


def _page(web, status: int = 200, *, notice: str = "", errors: dict | None = None, form: dict | None = None,
          result: dict | None = None) -> Response:
    from chalicelib.domain.calendar import WIB
    from chalicelib.services.privacy import AUDIT_KIND, retention_days

    month = web.ctx.now().astimezone(WIB).strftime("%Y-%m")
    days = retention_days(web.ctx)  # a misconfigured ADUAN_RETENTION_DAYS stops the app at start-up
    return web.page("privasi.html", status, notice=notice, errors=errors or {}, form=form or {}, result=result,
                    entries=web.ctx.audit.list(AUDIT_KIND, month, limit=50), month=month,
                    retention_days=days)


@officer_page(officer_privacy, PAGE, methods=("GET", "POST"), roles=("admin",), menu=PAGE)
def privacy_page(web):
    if web.request.method == "GET":
        return _page(web)
    from chalicelib.services.media_links import sign_media_token
    from chalicelib.services.privacy import erase_person, export_person, export_zip

    action = web.field("aksi", 20)
    form = {"identifier": web.field("identifier", 320), "reason": web.field("reason", 500)}
    ctx, actor = web.ctx, web.actor
    session_version = web.officer.session_version

    def media_url(case_id: str, media_key: str) -> str:
        return f"{web.base}/petugas/media/{sign_media_token(ctx, case_id, media_key, actor, session_version, 'web')}"

    try:
        if action == "ekspor-zip":
            return _zip_response(export_zip(ctx, actor, form["identifier"], form["reason"], media_url=media_url),
                                 ctx.now())
        if action == "ekspor":
            import json

            document = export_person(ctx, actor, form["identifier"], form["reason"], media_url=media_url)
            name = _download_name("ekspor-data", ctx.now(), "json")
            return Response(
                body=json.dumps(document, ensure_ascii=False, indent=2), status_code=200,
                headers={**SECURITY_HEADERS, "Content-Type": "application/json; charset=utf-8",
                         "Content-Disposition": f'attachment; filename="{name}"'},
            )
        if action == "hapus":
            result = erase_person(ctx, actor, form["identifier"], form["reason"], web.field("confirm", 10) or None)
            return _page(web, notice=f"Data pribadi pada {result['cases']} laporan telah dihapus.", result=result)
        raise ValidationFailed("Pilih ekspor atau hapus.", field="aksi")
    except DomainError as error:
        field = str(error.details.get("field") or "umum")
        return _page(web, status_of(error), errors={field: error.message}, form=form)
