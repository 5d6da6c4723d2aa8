"""Officer web pages for administering officers (`/petugas/admin/petugas...`): the list with its filters and
the form to add one, one officer's page (edit, deactivate / reactivate, reset the password), and the page that
shows a one-time password once. Pages admit admins and supervisors; the service refuses supervisors unless the
city allows them to manage their own OPD's officers."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import ValidationFailed
from handlers.officer_pages import WebCall, officer_page

admin_officer_pages = Blueprint(__name__)

MENU = "/petugas/admin/petugas"
MANAGERS = ("admin", "supervisor")
FILTERS = ("agency", "role", "active")
DONE = {
    "ubah": "Data petugas sudah disimpan.",
    "nonaktif": "Petugas dinonaktifkan. Semua sesi dan token API-nya sudah berakhir.",
    "aktif": "Petugas diaktifkan kembali.",
}


def _list_page(web: WebCall, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               status: int = 200):
    from chalicelib.services.officer_admin import list_officers

    chosen = {name: web.params.get(name, "") for name in FILTERS}
    try:
        items = list_officers(web.ctx, web.actor, **chosen)
    except ValidationFailed:  # a hand-edited filter: show everything rather than an error page
        chosen = dict.fromkeys(FILTERS, "")
        items = list_officers(web.ctx, web.actor)
    return web.page("admin_petugas.html", status, items=items, chosen=chosen, form=form or {}, errors=errors or {},
                    **_choices(web, form))


def _choices(web: WebCall, form: dict | None = None) -> dict:
    """OPDs, roles and alert channels the forms offer, the form's values selected (a supervisor: their own OPD,
    no admin or leadership role)."""
    from chalicelib.domain.case import Role
    from chalicelib.services.officer_admin import SUPERVISED_ROLES

    form = form or {}
    agencies = sorted((a for a in web.ctx.agencies.values() if a.active), key=lambda a: a.name)
    roles = [Role.ADMIN, Role.OPD, Role.SUPERVISOR, Role.LEADERSHIP]
    if web.actor.role is Role.SUPERVISOR:
        agencies = [a for a in agencies if a.agency_id == web.actor.agency_id]
        roles = [r for r in roles if r in SUPERVISED_ROLES]
    agency_pairs = [(a.agency_id, a.name) for a in agencies]
    role_pairs = [(r.value, r.label) for r in roles]
    channel_pairs = [("sms", "SMS"), ("line", "LINE (setelah petugas menghubungkan akunnya)"), ("email", "E-mail")]
    return {
        "agencies": [{"value": v, "label": label} for v, label in agency_pairs],
        "roles": [{"value": v, "label": label} for v, label in role_pairs],
        "agency_options": _options(agency_pairs, form.get("agency_id", "")),
        "role_options": _options(role_pairs, form.get("role", "opd")),
        "channel_options": _options(channel_pairs, form.get("alert_channel", "sms")),
    }


def _options(pairs: list[tuple[str, str]], selected: str) -> list[dict]:
    return [{"value": value, "label": label, "selected": value == selected} for value, label in pairs]


def _form(web: WebCall, names: tuple[str, ...]) -> dict[str, str]:
    limits = {"username": 100, "display_name": 200, "role": 20, "agency_id": 100, "phone": 40, "email": 200,
              "alert_channel": 10}
    return {name: web.field(name, limits[name]) for name in names}


@officer_page(admin_officer_pages, "/petugas/admin/petugas", roles=MANAGERS, menu=MENU)
def officers_page(web: WebCall):
    return _list_page(web)


@officer_page(admin_officer_pages, "/petugas/admin/petugas", methods=("POST",), roles=MANAGERS, menu=MENU)
def create_officer_action(web: WebCall):
    from chalicelib.services.officer_admin import create_officer, officer_view

    form = _form(web, ("username", "display_name", "role", "agency_id", "phone", "email", "alert_channel"))
    try:
        created = create_officer(web.ctx, web.actor, form)
    except ValidationFailed as error:
        return _list_page(web, form, {str(error.details.get("field") or "username"): error.message}, 400)
    return web.page("admin_petugas_sandi.html", target=officer_view(web.ctx, created.officer),
                    password=created.initial_password, created=True)


@officer_page(admin_officer_pages, "/petugas/admin/petugas/{username}", roles=MANAGERS, menu=MENU)
def officer_page_view(web: WebCall, username: str):
    from chalicelib.services.officer_admin import get_officer

    officer = get_officer(web.ctx, web.actor, username)
    return web.page("admin_petugas_detail.html", target=officer, form=officer, errors={},
                    notice=DONE.get(web.params.get("ok", ""), ""), **_choices(web, officer))


@officer_page(admin_officer_pages, "/petugas/admin/petugas/{username}", methods=("POST",), roles=MANAGERS,
              menu=MENU)
def update_officer_action(web: WebCall, username: str):
    from chalicelib.services.officer_admin import get_officer, update_officer

    form = _form(web, ("display_name", "role", "agency_id", "phone", "email"))
    try:
        updated = update_officer(web.ctx, web.actor, username, form)
    except ValidationFailed as error:
        officer = get_officer(web.ctx, web.actor, username)
        return web.page("admin_petugas_detail.html", 400, target=officer, form={**officer, **form},
                        errors={str(error.details.get("field") or "display_name"): error.message}, notice="",
                        **_choices(web, {**officer, **form}))
    return web.redirect(f"/petugas/admin/petugas/{updated['username']}?ok=ubah")


@officer_page(admin_officer_pages, "/petugas/admin/petugas/{username}/status", methods=("POST",), roles=MANAGERS,
              menu=MENU)
def set_active_action(web: WebCall, username: str):
    from chalicelib.services.officer_admin import get_officer, parse_flag, set_active

    get_officer(web.ctx, web.actor, username)  # who may manage whom first (a 403 before any form error)
    result = set_active(web.ctx, web.actor, username, parse_flag(web.field("aktif", 10), "aktif"))
    return web.redirect(f"/petugas/admin/petugas/{result['username']}?ok={'aktif' if result['active'] else 'nonaktif'}")


@officer_page(admin_officer_pages, "/petugas/admin/petugas/{username}/sandi", methods=("POST",), roles=MANAGERS,
              menu=MENU)
def reset_password_action(web: WebCall, username: str):
    from chalicelib.services.officer_admin import officer_view, reset_password

    reset = reset_password(web.ctx, web.actor, username)
    return web.page("admin_petugas_sandi.html", target=officer_view(web.ctx, reset.officer),
                    password=reset.initial_password, created=False)
