"""Odd input on every officer page and form: a clear page (2xx, 3xx or 4xx), never a 500.

Query strings and form bodies drawn by Hypothesis — unknown statuses and dates, huge and control-character
text, repeated fields, broken percent-encoding, stale versions and forged tokens — sent as a signed-in admin
and as an OPD officer, with the session's real CSRF token (so the forms are processed, not just refused).
"""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ODD_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "2026-13-45", "2026-02-30", "KDR-2611-XXXXXXX",
                     "../../etc/passwd", "<script>alert(1)</script>", "%", "%zz", "\x00", "\ud7ff", "𝔘𝔫𝔦",
                     "BARU", "SELESAI", "dpupr", "jalan-jembatan", "line", "telepon", "lewat", "a" * 5000]),
)
GET_PATHS = ["/petugas/", "/petugas/dasbor", "/petugas/rekap", "/petugas/audit", "/petugas/kasus/baru",
             "/petugas/akun", "/petugas/kotak-keluar", "/petugas/templat", "/petugas/masuk"]
QUERY_NAMES = ["status", "opd", "kategori", "kanal", "tenggat", "dari", "sampai", "nomor", "kursor", "peran",
               "months", "agency", "bulan", "format", "jenis", "ok", "templat", "lanjut", "pesan", "ganti"]
POST_PATHS = ["/petugas/kasus/baru", "/petugas/akun/notifikasi", "/petugas/akun/sandi", "/petugas/akun/line",
              "/petugas/akun/peringatan", "/petugas/akun/grup-line", "/petugas/akun/grup-line/preferensi",
              "/petugas/kotak-keluar/kirim-ulang", "/petugas/templat", "/petugas/templat/hapus",
              "/petugas/kasus/{case}/aksi/verifikasi_disposisi", "/petugas/kasus/{case}/aksi/tunda",
              "/petugas/kasus/{case}/aksi/gabungkan", "/petugas/kasus/{case}/aksi/tugaskan",
              "/petugas/kasus/{case}/aksi/tidak_ada", "/petugas/kasus/{case}/balas", "/petugas/kasus/{case}/identitas",
              "/petugas/kasus/{case}"]
FORM_NAMES = ["channel", "tanggal", "jam", "description", "title", "location", "category_id", "name", "phone",
              "email", "anonymous", "idempotency_key", "alert_channel", "current", "new", "repeat", "kinds",
              "quiet_start", "quiet_end", "agency_id", "message_id", "template_id", "body", "version", "note",
              "lead_agency", "supporting_agencies", "tier", "officer", "merge_into", "text", "reason", "public"]


@pytest.fixture(scope="module")
def case_id(demo_logins):
    from chalicelib.domain.case import Actor, Role
    from chalicelib.services.context import build_context
    from chalicelib.services.workflow import create_case_from_entry

    ctx = build_context()
    admin = Actor("officer:admin.kominfo", Role.ADMIN, "diskominfo")
    return create_case_from_entry(ctx, admin, channel="telepon", idempotency_key="fuzz-web-case",
                                  description="Kasus untuk uji masukan aneh").case_id


@pytest.fixture(scope="module", autouse=True)
def _demo_officers_restored(demo_logins):
    """The forms change the demo officers' alert settings at random: put them back for the tests after these."""
    from chalicelib.services.context import build_context

    ctx = build_context()
    saved = {name: ctx.directory.officer(name) for name in ("admin.kominfo", "petugas.dpupr")}
    yield
    for name, officer in saved.items():
        ctx.directory.set_alert_preferences(name, kinds=officer.alert_kinds, quiet_hours=officer.quiet_hours,
                                            urgent_at_night=officer.urgent_at_night,
                                            personal_with_group=officer.personal_with_group)
        ctx.accounts.set_alert_channel(name, officer.alert_channel, officer.email or "")


@pytest.fixture
def browsers(web_as):
    return {"admin": web_as("admin.kominfo"), "opd": web_as("petugas.dpupr")}


def _query(pairs) -> str:
    return "&".join(f"{urllib.parse.quote(k)}={urllib.parse.quote(v, safe='')}" for k, v in pairs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_officer_page_answers_500_to_odd_queries(browsers, case_id, data):
    who = data.draw(st.sampled_from(sorted(browsers)))
    path = data.draw(st.sampled_from([*GET_PATHS, f"/petugas/kasus/{case_id}", "/petugas/kasus/%ZZ",
                                      "/petugas/media/not.a.token"]))
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), ODD_TEXT), max_size=5))
    response = browsers[who].get(f"{path}?{_query(pairs)}" if pairs else path)
    assert response.status_code < 500, (who, path, pairs, response.body[:500])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_officer_form_answers_500_to_odd_fields(browsers, case_id, data):
    who = data.draw(st.sampled_from(sorted(browsers)))
    path = data.draw(st.sampled_from(POST_PATHS)).replace("{case}", case_id)
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(FORM_NAMES), ODD_TEXT), max_size=8))
    response = browsers[who].post(path, pairs)
    assert response.status_code < 500, (who, path, pairs, response.body[:500])


def test_a_broken_form_body_is_a_clear_400(api, browsers):
    admin = browsers["admin"]
    raw = b"csrf=" + admin.csrf.encode() + b"&description=%ff%fe&channel=telepon"
    response = api.http.post("/petugas/kasus/baru", body=raw,
                             headers=admin.headers({"Content-Type": "application/x-www-form-urlencoded"}))
    assert response.status_code == 400
