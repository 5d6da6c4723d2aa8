"""The city's working calendar in the officer web view (admin koordinator only): `GET|POST /petugas/admin/kalender`.

One page lists the year (national holidays, cuti bersama, the city's days off, withdrawals) and holds the forms:
add a day off, remove one, withdraw a national day, restore it (`aksi` = tambah | hapus | batalkan | pulihkan).
Each change is made by `chalicelib.services.calendar_admin`, which also moves the open cases' deadlines.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.errors import DomainError, ValidationFailed
from handlers.errors import status_of
from handlers.officer_pages import officer_page

admin_calendar_pages = Blueprint(__name__)

PAGE = "/petugas/admin/kalender"


def _page(web, year: int, status: int = 200, *, notice: str = "", errors: dict | None = None,
          form: dict | None = None):
    from chalicelib.services.calendar_admin import calendar_year

    listing = calendar_year(web.ctx, web.actor, year)
    return web.page("admin_kalender.html", status, notice=notice, errors=errors or {}, form=form or {},
                    year=year, days=listing["days"], years=(year - 1, year + 1))


def _notice(result: dict) -> str:
    recount = result["recount"]
    text = f"Tersimpan. Batas waktu {recount['changed']} laporan terbuka disesuaikan."
    if recount["skipped"]:
        text += f" {len(recount['skipped'])} laporan sedang diubah petugas dan belum disesuaikan: simpan ulang nanti."
    if not recount["complete"]:
        text += " Belum semua laporan terbuka diperiksa: hubungi admin TI untuk menjalankan hitung ulang."
    return text


@officer_page(admin_calendar_pages, PAGE, methods=("GET", "POST"), roles=("admin",), menu=PAGE)
def calendar_page(web):
    from chalicelib.domain.calendar import to_wib_date
    from chalicelib.services import calendar_admin as service

    today = to_wib_date(web.ctx.now())
    if web.request.method == "GET":
        return _page(web, service.parse_year(web.params.get("tahun"), today))
    action = web.field("aksi", 20)
    form = {"date": web.field("date", 10), "label": web.field("label", 200), "reason": web.field("reason", 500)}
    year = today.year
    try:
        year = service.parse_day(form["date"]).year if form["date"] else year
        if action == "tambah":
            result = service.add_day_off(web.ctx, web.actor, form["date"], form["label"])
        elif action == "hapus":
            result = service.remove_day_off(web.ctx, web.actor, form["date"])
        elif action == "batalkan":
            result = service.withdraw_national_day(web.ctx, web.actor, form["date"], form["reason"])
        elif action == "pulihkan":
            result = service.restore_national_day(web.ctx, web.actor, form["date"])
        else:
            raise ValidationFailed("Pilih tindakan pada kalender.", field="aksi")
    except DomainError as error:
        field = str(error.details.get("field") or "umum")
        if not today.year - 5 <= year <= today.year + 5:
            year = today.year
        return _page(web, year, status_of(error), errors={field: error.message}, form=form)
    return _page(web, year, notice=_notice(result))
