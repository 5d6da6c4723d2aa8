"""The dashboard and recap pages of the officer web view, and the recap downloads."""

from __future__ import annotations

import io
import zipfile

from tests.unit.web_session import text_of as text


def test_the_admin_sees_the_city_dashboard_with_charts(web_as, ctx, admin):
    from chalicelib.services.sync import sync_pending_cases
    from chalicelib.services.workflow import create_case_from_entry

    create_case_from_entry(ctx, admin, channel="telepon", description="Lampu PJU mati di Jl. Hayam Wuruk",
                           idempotency_key="dasbor-uji-1")
    sync_pending_cases(ctx)
    page = web_as("admin.kominfo").get("/petugas/dasbor")
    assert page.status_code == 200
    body = text(page)
    assert "<svg" in body and 'role="img"' in body
    assert "Kota Kediri" in body


def test_leadership_reads_the_dashboard_and_recap(web_as):
    sekda = web_as("sekda")
    assert sekda.get("/petugas/dasbor").status_code == 200
    assert sekda.get("/petugas/rekap?bulan=2026-11").status_code == 200


def test_an_opd_officer_cannot_open_another_opds_dashboard(web_as):
    dpupr = web_as("petugas.dpupr")
    assert dpupr.get("/petugas/dasbor").status_code == 200
    assert dpupr.get("/petugas/dasbor?agency=dlhkp").status_code == 403
    assert dpupr.get("/petugas/rekap?bulan=2026-11&agency=dlhkp").status_code == 403


def test_the_recap_downloads_as_csv_and_xlsx(web_as):
    admin = web_as("admin.kominfo")
    csv = admin.get("/petugas/rekap?bulan=2026-11&format=csv")
    assert csv.status_code == 200
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="rekap-pengaduan-' in csv.headers["Content-Disposition"]
    assert csv.body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    assert "Jumlah" in csv.body.decode("utf-8")
    xlsx = admin.get("/petugas/rekap?bulan=2026-11&format=xlsx")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.body)) as book:
        assert 'state="frozen"' in book.read("xl/worksheets/sheet1.xml").decode()


def test_odd_recap_input_is_a_clear_400_never_a_500(web_as):
    admin = web_as("admin.kominfo")
    for query in ("bulan=2026-13", "bulan=abc", "bulan=2026-11&format=pdf", "bulan=2099-01"):
        response = admin.get(f"/petugas/rekap?{query}")
        assert response.status_code == 400, query
        assert "Isian belum benar" in text(response)
