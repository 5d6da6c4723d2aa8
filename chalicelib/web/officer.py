"""Render the officer web view (`/petugas/…`): the shared environment of `render.py`, plus what every
officer page needs — the officer, the menu their role allows, the CSRF token — and a few filters.

Templates live under ``templates/petugas/``; they carry no inline script or style (strict CSP).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.web.render import _environment, format_moment

# (path, label, roles allowed) — the menu shows only what the role may open
MENU = (
    ("/petugas/", "Kotak masuk", {"admin", "opd", "supervisor", "leadership"}),
    ("/petugas/kasus/baru", "Catat laporan", {"admin", "opd", "supervisor"}),
    ("/petugas/dasbor", "Dasbor", {"admin", "opd", "supervisor", "leadership"}),
    ("/petugas/rekap", "Rekap", {"admin", "opd", "supervisor", "leadership"}),
    ("/petugas/kotak-keluar", "Pesan gagal", {"admin", "supervisor"}),
    ("/petugas/templat", "Templat balasan", {"admin", "opd", "supervisor"}),
    ("/petugas/audit", "Audit", {"admin"}),
    ("/petugas/admin/privasi", "Data pribadi", {"admin"}),
    ("/petugas/admin/petugas", "Petugas", {"admin"}),
    ("/petugas/admin/opd", "OPD", {"admin"}),
    ("/petugas/admin/kategori", "Kategori", {"admin"}),
    ("/petugas/admin/kalender", "Kalender kerja", {"admin"}),
    ("/petugas/akun", "Akun", {"admin", "opd", "supervisor", "leadership"}),
)


def _env():
    env = _environment()
    if "waktu" not in env.filters:
        env.filters["waktu"] = format_moment
        env.filters["tanggal"] = _date_only
    return env


def render_officer_page(template: str, *, city_name: str, base: str, officer: Mapping | None,
                        csrf_token: str = "", current: str = "", **context: object) -> str:
    """Render ``petugas/<template>`` with the common context every officer page has."""
    role = str((officer or {}).get("role") or "")
    menu = [
        {"path": path, "label": label, "current": path == current}
        for path, label, roles in MENU
        if role in roles
    ]
    return _env().get_template(f"petugas/{template}").render(
        city_name=city_name, base=base, officer=officer, csrf_token=csrf_token, menu=menu, **context
    )


def _date_only(value: object) -> str | None:
    text = format_moment(value)
    return text.split(" pukul ")[0] if text else text
