"""Officer web pages for the city's OPDs and categories (admin koordinator only; rules in
chalicelib/services/directory_admin.py). A form with a wrong field comes back filled in with the reason next
to the field; a refusal that is not about a field (cases still point to the OPD) is an error page (409)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import DomainError, ValidationFailed
from handlers.errors import status_of
from handlers.officer_pages import officer_page

admin_directory_pages = Blueprint(__name__)

ADMIN = ("admin",)
OPD_MENU = "/petugas/admin/opd"
CATEGORY_MENU = "/petugas/admin/kategori"
NOTICES = {
    "dibuat": "Data sudah ditambahkan.",
    "disimpan": "Perubahan sudah disimpan.",
    "dinonaktifkan": "Sudah dinonaktifkan: tidak ada laporan baru yang diarahkan ke sini.",
    "diaktifkan": "Sudah diaktifkan kembali.",
    "dihapus": "OPD sudah dihapus.",
}


def _field_errors(error: DomainError, default_field: str) -> dict[str, str]:
    return {str(error.details.get("field") or default_field): error.message}


def _active_flag(web) -> bool:
    """The status forms' `active` field: required, so an empty form changes nothing."""
    value = web.field("active", 5)
    if value not in ("0", "1"):
        raise ValidationFailed("Pilih aktifkan atau nonaktifkan.", field="active")
    return value == "1"


def _tier_options(selected: str) -> list[dict]:
    from chalicelib.domain.sla import Tier

    return [{"value": t.value, "label": t.label, "selected": t.value == selected} for t in Tier]


def _agency_options(web, selected: str) -> list[dict]:
    return [{"value": a.agency_id, "label": a.name, "selected": a.agency_id == selected}
            for a in sorted(web.ctx.directory.agencies(), key=lambda a: a.name.lower())
            if a.active or a.agency_id == selected]


# ---------------------------------------------------------------- OPDs


def _opd_list(web, status: int = 200, errors: dict | None = None, values: dict | None = None):
    from chalicelib.services.directory_admin import list_agencies

    return web.page("admin_opd.html", status, agencies=list_agencies(web.ctx, web.actor), errors=errors or {},
                    values=values or {}, notice=NOTICES.get(web.params.get("ok", ""), ""))


@officer_page(admin_directory_pages, "/petugas/admin/opd", roles=ADMIN, menu=OPD_MENU)
def opd_list_page(web):
    return _opd_list(web)


@officer_page(admin_directory_pages, "/petugas/admin/opd", methods=("POST",), roles=ADMIN, menu=OPD_MENU)
def opd_create_action(web):
    from chalicelib.services.directory_admin import CodeTaken, create_agency

    values = {name: web.field(name, 200) for name in ("agency_id", "name", "short_name")}
    try:
        create_agency(web.ctx, web.actor, values["agency_id"], values["name"], values["short_name"])
    except (ValidationFailed, CodeTaken) as error:
        return _opd_list(web, status_of(error), _field_errors(error, "agency_id"), values)
    return web.redirect("/petugas/admin/opd?ok=dibuat")


def _opd_edit(web, agency_id: str, status: int = 200, errors: dict | None = None, values: dict | None = None):
    from chalicelib.services.directory_admin import get_agency

    agency = get_agency(web.ctx, web.actor, agency_id)
    return web.page("admin_opd_ubah.html", status, agency=agency, errors=errors or {},
                    values=values or {"name": agency["name"], "short_name": agency["short_name"]},
                    notice=NOTICES.get(web.params.get("ok", ""), ""))


@officer_page(admin_directory_pages, "/petugas/admin/opd/{agency_id}", roles=ADMIN, menu=OPD_MENU)
def opd_edit_page(web, agency_id: str):
    return _opd_edit(web, agency_id)


@officer_page(admin_directory_pages, "/petugas/admin/opd/{agency_id}", methods=("POST",), roles=ADMIN,
              menu=OPD_MENU)
def opd_save_action(web, agency_id: str):
    from chalicelib.services.directory_admin import update_agency

    values = {name: web.field(name, 200) for name in ("name", "short_name")}
    try:
        update_agency(web.ctx, web.actor, agency_id, name=values["name"], short_name=values["short_name"])
    except ValidationFailed as error:
        return _opd_edit(web, agency_id, 400, _field_errors(error, "name"), values)
    return web.redirect(f"/petugas/admin/opd/{agency_id}?ok=disimpan")


@officer_page(admin_directory_pages, "/petugas/admin/opd/{agency_id}/status", methods=("POST",), roles=ADMIN,
              menu=OPD_MENU)
def opd_status_action(web, agency_id: str):
    from chalicelib.services.directory_admin import update_agency

    active = _active_flag(web)
    update_agency(web.ctx, web.actor, agency_id, active=active)
    return web.redirect(f"/petugas/admin/opd/{agency_id}?ok={'diaktifkan' if active else 'dinonaktifkan'}")


@officer_page(admin_directory_pages, "/petugas/admin/opd/{agency_id}/hapus", methods=("POST",), roles=ADMIN,
              menu=OPD_MENU)
def opd_delete_action(web, agency_id: str):
    from chalicelib.services.directory_admin import delete_agency

    try:
        delete_agency(web.ctx, web.actor, agency_id, web.field("confirm", 60))
    except ValidationFailed as error:
        return _opd_edit(web, agency_id, 400, _field_errors(error, "confirm"))
    return web.redirect("/petugas/admin/opd?ok=dihapus")


# ---------------------------------------------------------------- categories


def _category_values(web) -> dict:
    return {name: web.field(name, 4000 if name == "keywords" else 200)
            for name in ("category_id", "name", "agency_id", "default_tier", "keywords")}


def _category_list(web, status: int = 200, errors: dict | None = None, values: dict | None = None):
    from chalicelib.services.directory_admin import list_categories

    values = values or {"default_tier": "normatif"}
    return web.page("admin_kategori.html", status, categories=list_categories(web.ctx, web.actor),
                    errors=errors or {}, values=values, notice=NOTICES.get(web.params.get("ok", ""), ""),
                    agency_options=_agency_options(web, values.get("agency_id", "")),
                    tier_options=_tier_options(values.get("default_tier", "normatif")))


@officer_page(admin_directory_pages, "/petugas/admin/kategori", roles=ADMIN, menu=CATEGORY_MENU)
def category_list_page(web):
    return _category_list(web)


@officer_page(admin_directory_pages, "/petugas/admin/kategori", methods=("POST",), roles=ADMIN, menu=CATEGORY_MENU)
def category_create_action(web):
    from chalicelib.services.directory_admin import CodeTaken, create_category, split_keywords

    values = _category_values(web)
    try:
        create_category(web.ctx, web.actor, values["category_id"], values["name"], values["agency_id"],
                        split_keywords(values["keywords"]), values["default_tier"])
    except (ValidationFailed, CodeTaken) as error:
        return _category_list(web, status_of(error), _field_errors(error, "category_id"), values)
    return web.redirect("/petugas/admin/kategori?ok=dibuat")


def _category_edit(web, category_id: str, status: int = 200, errors: dict | None = None,
                   values: dict | None = None):
    from chalicelib.services.directory_admin import get_category

    category = get_category(web.ctx, web.actor, category_id)
    values = values or {"name": category["name"], "agency_id": category["agency_id"],
                        "default_tier": category["default_tier"], "keywords": "\n".join(category["keywords"])}
    return web.page("admin_kategori_ubah.html", status, category=category, errors=errors or {}, values=values,
                    notice=NOTICES.get(web.params.get("ok", ""), ""),
                    agency_options=_agency_options(web, values.get("agency_id", "")),
                    tier_options=_tier_options(values.get("default_tier", "")))


@officer_page(admin_directory_pages, "/petugas/admin/kategori/{category_id}", roles=ADMIN, menu=CATEGORY_MENU)
def category_edit_page(web, category_id: str):
    return _category_edit(web, category_id)


@officer_page(admin_directory_pages, "/petugas/admin/kategori/{category_id}", methods=("POST",), roles=ADMIN,
              menu=CATEGORY_MENU)
def category_save_action(web, category_id: str):
    from chalicelib.services.directory_admin import split_keywords, update_category

    values = _category_values(web)
    try:
        update_category(web.ctx, web.actor, category_id, name=values["name"], agency_id=values["agency_id"],
                        keywords=split_keywords(values["keywords"]), default_tier=values["default_tier"])
    except ValidationFailed as error:
        return _category_edit(web, category_id, 400, _field_errors(error, "name"), values)
    return web.redirect(f"/petugas/admin/kategori/{category_id}?ok=disimpan")


@officer_page(admin_directory_pages, "/petugas/admin/kategori/{category_id}/status", methods=("POST",),
              roles=ADMIN, menu=CATEGORY_MENU)
def category_status_action(web, category_id: str):
    from chalicelib.services.directory_admin import update_category

    active = _active_flag(web)
    try:
        update_category(web.ctx, web.actor, category_id, active=active)
    except ValidationFailed as error:
        return _category_edit(web, category_id, 400, _field_errors(error, "agency_id"))
    return web.redirect(f"/petugas/admin/kategori/{category_id}?ok={'diaktifkan' if active else 'dinonaktifkan'}")
