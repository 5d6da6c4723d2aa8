"""Public pages as a citizen's browser gets them: escaped, Bahasa Indonesia, working under a strict CSP.

The CSP the handlers send is ``default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';
base-uri 'none'; frame-ancestors 'none'`` (plus ``script-src 'self'`` for lapor.js): so no inline script or
style, no event-handler attributes, and nothing loaded from another origin.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from chalicelib.channels import web
from chalicelib.web import render

CITY = "Kota Kediri"
CSRF = "csrf-token-value-123"
KEY = "idem-key-0123456789"
HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
NUMBER = "KDR-2611-7K3M9Q3"


class Page(HTMLParser):
    """The tags, attributes and text of a page, the way a browser tokenises them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.script_text if self._in_script else self.text).append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def inputs(self) -> dict[str, dict[str, str | None]]:
        return {a["name"]: a for t, a in self.tags if t in ("input", "textarea") and a.get("name")}


def tracking_view(**overrides) -> dict:
    view = {
        "tracking_number": NUMBER,
        "status_label": "Ditindaklanjuti",
        "agency_name": "Dinas Pekerjaan Umum dan Penataan Ruang",
        "received_at": datetime(2026, 11, 2, 2, 15, tzinfo=UTC),
        "deadline": {"due_at": "2026-11-09T23:59:59+07:00", "label": "Tindak lanjut"},
        "confidential": False,
        "timeline": [
            {"at": "2026-11-02T09:15:00+07:00", "label": "Laporan diterima", "note": None},
            {"at": datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "label": "Diteruskan ke OPD", "note": "Lubang ditambal"},
        ],
    }
    view.update(overrides)
    return view


ALL_PAGES = {
    "form": lambda: render.render_complaint_form(CITY, CSRF, idempotency_key=KEY),
    "form_with_errors": lambda: render.render_complaint_form(
        CITY, CSRF, {"description": "Isi laporan wajib diisi."}, {"description": "pendek"}, idempotency_key=KEY
    ),
    "received": lambda: render.render_complaint_received(
        CITY, NUMBER, f"https://aduan.kedirikota.go.id/lacak/{NUMBER}"
    ),
    "tracking": lambda: render.render_tracking_page(CITY, tracking_view()),
    "tracking_confidential": lambda: render.render_tracking_page(CITY, tracking_view(confidential=True)),
    "not_found": lambda: render.render_tracking_page(CITY, None),
    "lookup": lambda: render.render_tracking_lookup(CITY),
}


# -- every page ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_PAGES)
def test_given_any_page_when_rendered_then_it_is_indonesian_mobile_ready_and_styled_from_static(name) -> None:
    html = ALL_PAGES[name]()
    page = Page(html)

    assert html.startswith("<!DOCTYPE html>")
    assert page.all("html", lang="id")
    assert page.all("meta", name="viewport", content="width=device-width, initial-scale=1")
    assert page.all("meta", charset="utf-8")
    assert page.all("link", rel="stylesheet", href="/static/aduan.css")
    assert CITY in "".join(page.text)


@pytest.mark.parametrize("name", ALL_PAGES)
def test_given_any_page_when_rendered_then_nothing_inline_or_foreign_would_be_blocked_by_the_csp(name) -> None:
    page = Page(ALL_PAGES[name]())

    assert "".join(page.script_text).strip() == ""  # no inline script blocks
    assert not page.all("style")
    for tag, attrs in page.tags:
        assert "style" not in attrs, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "script":
            assert attrs["src"] == "/static/lapor.js"
        for url_attribute in ("src", "srcset", "data"):
            value = attrs.get(url_attribute) or ""
            assert not value or value.startswith("/static/"), (tag, attrs)
        if tag == "link":
            assert attrs["href"].startswith("/static/")
        if tag == "form":
            assert attrs["action"].startswith("/")


def test_given_a_base_path_when_rendered_then_links_assets_and_forms_carry_it() -> None:
    page = Page(render.render_complaint_form(CITY, CSRF, idempotency_key=KEY, base_path="/api/"))

    assert page.all("link", rel="stylesheet", href="/api/static/aduan.css")
    assert page.all("script", src="/api/static/lapor.js")
    assert page.all("form", action="/api/api/complaints")
    with pytest.raises(ValueError):
        render.render_tracking_lookup(CITY, base_path="//evil.example")


def test_given_jinja2_when_the_render_module_is_imported_then_it_is_not_loaded_until_a_page_is_rendered() -> None:
    code = (
        "import sys, chalicelib.web.render as r; assert 'jinja2' not in sys.modules; "
        "r.render_tracking_lookup('X'); assert 'jinja2' in sys.modules"
    )

    subprocess.run([sys.executable, "-c", code], check=True)


# -- the complaint form --------------------------------------------------------------------------------------


def test_given_the_form_when_rendered_then_it_posts_multipart_with_csrf_and_idempotency_key() -> None:
    page = Page(render.render_complaint_form(CITY, CSRF, idempotency_key=KEY))
    inputs = page.inputs()

    (form,) = page.all("form", method="post")
    assert form["action"] == "/api/complaints"
    assert form["enctype"] == "multipart/form-data"
    assert inputs["csrf_token"]["type"] == "hidden" and inputs["csrf_token"]["value"] == CSRF
    assert inputs["idempotency_key"]["type"] == "hidden" and inputs["idempotency_key"]["value"] == KEY
    assert "Sampaikan Laporan" in "".join(page.text)


def test_given_the_form_when_rendered_then_it_has_every_field_the_parser_reads() -> None:
    inputs = Page(render.render_complaint_form(CITY, CSRF, idempotency_key=KEY)).inputs()

    assert "required" in inputs["description"]
    assert inputs["photo"]["type"] == "file" and inputs["photo"]["accept"] == "image/*"
    assert inputs["latitude"]["type"] == "hidden" and inputs["longitude"]["type"] == "hidden"
    assert inputs["anonymous"]["type"] == "checkbox" and inputs["confidential"]["type"] == "checkbox"
    assert inputs["phone"]["type"] == "tel" and inputs["email"]["type"] == "email"
    assert {"title", "address", "name", "website"} <= set(inputs)


def test_given_the_form_as_a_browser_submits_it_when_parsed_then_the_complaint_is_accepted() -> None:
    """The form's field names and the parser's agree: what the page posts is what `channels.web` reads."""
    inputs = Page(render.render_complaint_form(CITY, CSRF, idempotency_key=KEY)).inputs()
    typed = {
        "title": "Jalan berlubang",
        "description": "Jalan berlubang besar di depan pasar, membahayakan pengendara.",
        "address": "Jl. Dhoho",
        "latitude": "-7.8166",
        "longitude": "112.0114",
        "name": "Budi",
        "phone": "081234567890",
        "email": "budi@example.id",
        "anonymous": inputs["anonymous"]["value"],
    }
    boundary = "----WebKitFormBoundaryRender"
    body = b""
    for name, attrs in inputs.items():
        if attrs.get("type") == "file" or (attrs.get("type") == "checkbox" and name not in typed):
            continue
        value = typed.get(name, attrs.get("value") or "")
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f"--{boundary}--\r\n".encode()

    submission = web.parse_submission(body, f"multipart/form-data; boundary={boundary}", datetime.now(UTC))

    message = submission.message
    assert message.event_key == "web:" + KEY
    assert (message.subject, message.address, message.sender_name) == ("Jalan berlubang", "Jl. Dhoho", "Budi")
    assert (message.latitude, message.longitude, message.phone) == (-7.8166, 112.0114, "+6281234567890")
    assert message.anonymous is True and message.confidential is False


def test_given_the_honeypot_when_rendered_then_it_is_empty_and_hidden_by_a_stylesheet_class() -> None:
    html = render.render_complaint_form(CITY, CSRF, values={"website": "spam"}, idempotency_key=KEY)
    page = Page(html)
    css, _ = render.static_file("aduan.css")

    assert page.inputs()["website"]["value"] == ""
    assert page.inputs()["website"]["tabindex"] == "-1"
    assert page.all("div", **{"class": "hp", "aria-hidden": "true"})
    assert b".hp {" in css and b"left: -10000px" in css


def test_given_errors_and_values_when_rendered_then_each_error_is_beside_its_field_and_values_come_back() -> None:
    errors = {"phone": "Nomor HP/WhatsApp tidak valid.", "description": "Isi laporan wajib diisi."}
    values = {"phone": "0812", "title": "Sampah", "description": "pendek", "anonymous": "on", "confidential": False}

    page = Page(render.render_complaint_form(CITY, CSRF, errors, values, idempotency_key=KEY))
    inputs = page.inputs()

    assert inputs["phone"]["value"] == "0812" and inputs["phone"]["aria-invalid"] == "true"
    assert inputs["phone"]["aria-describedby"] == "phone-galat"
    assert page.all("p", id="phone-galat", **{"class": "galat"})
    assert inputs["title"]["value"] == "Sampah" and "aria-invalid" not in inputs["title"]
    assert "checked" in inputs["anonymous"] and "checked" not in inputs["confidential"]
    assert "pendek" in "".join(page.text)
    assert "Nomor HP/WhatsApp tidak valid." in "".join(page.text)


def test_given_hostile_values_and_errors_when_the_form_is_rendered_then_they_are_escaped() -> None:
    values = {"title": HOSTILE, "description": "</textarea>" + HOSTILE, "name": HOSTILE, "address": HOSTILE}

    html = render.render_complaint_form(
        HOSTILE, HOSTILE, {"title": HOSTILE, "other": HOSTILE}, values, idempotency_key=HOSTILE
    )
    page = Page(html)

    assert "<script>" not in html and "<img" not in html and "</textarea><" not in html
    assert page.inputs()["title"]["value"] == HOSTILE
    assert page.inputs()["csrf_token"]["value"] == HOSTILE
    assert len(page.all("script")) == 1  # lapor.js only


# -- the receipt ---------------------------------------------------------------------------------------------


def test_given_a_received_complaint_when_rendered_then_the_number_is_big_copyable_and_linked() -> None:
    url = f"https://aduan.kedirikota.go.id/lacak/{NUMBER}"

    page = Page(render.render_complaint_received(CITY, NUMBER, url))

    assert page.all("p", **{"class": "nomor", "id": "nomor-laporan"})
    assert NUMBER in "".join(page.text)
    assert page.all("a", href=url)
    (copy_button,) = page.all("button", id="salin-nomor")
    assert "hidden" in copy_button  # shown by lapor.js only where copying works
    css, _ = render.static_file("aduan.css")
    assert b"user-select: all" in css


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.example/x", "data:text/html,x", None, ""])
def test_given_an_unsafe_tracking_url_when_rendered_then_no_link_is_made(url) -> None:
    html = render.render_complaint_received(CITY, NUMBER, url)

    assert "javascript:" not in html and "evil.example" not in html and "data:text" not in html
    assert NUMBER in html


def test_given_a_hostile_tracking_number_when_the_receipt_is_rendered_then_it_is_escaped() -> None:
    html = render.render_complaint_received(CITY, HOSTILE, "/lacak/x")

    assert "<script>" not in html and "<img" not in html


# -- tracking ------------------------------------------------------------------------------------------------


def test_given_a_case_when_tracked_then_number_status_agency_dates_and_public_timeline_are_shown() -> None:
    text = " ".join(Page(render.render_tracking_page(CITY, tracking_view())).text)

    for expected in (
        NUMBER,
        "Ditindaklanjuti",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "2 November 2026 pukul 09.15 WIB",
        "9 November 2026 pukul 23.59 WIB",
        "Laporan diterima",
        "3 November 2026 pukul 08.00 WIB",
        "Diteruskan ke OPD",
        "Lubang ditambal",
    ):
        assert expected in text


def test_given_a_closed_case_merged_into_another_when_tracked_then_the_closing_date_and_the_other_number_show() -> None:
    view = tracking_view(closed_at="2026-11-05T10:00:00+07:00", merged_into="KDR-2611-0000000", confidential=True)

    page = Page(render.render_tracking_page(CITY, view))
    text = " ".join(page.text)

    assert "5 November 2026 pukul 10.00 WIB" in text and "Batas waktu" not in text
    assert page.all("a", href="/lacak/KDR-2611-0000000")


def test_given_the_officer_view_shape_when_tracked_then_case_id_and_lead_agency_name_are_understood() -> None:
    view = {
        "case_id": NUMBER,
        "status_label": "Diverifikasi",
        "lead_agency_name": "Dinas Kesehatan",
        "received_at": date(2026, 11, 2),
        "deadline": None,
        "timeline": [],
    }

    text = " ".join(Page(render.render_tracking_page(CITY, view)).text)

    assert NUMBER in text and "Dinas Kesehatan" in text and "2 November 2026" in text
    assert "Belum ada tindak lanjut yang dipublikasikan." in text


def test_given_a_confidential_case_when_tracked_then_only_status_and_dates_are_shown() -> None:
    html = render.render_tracking_page(CITY, tracking_view(confidential=True))
    text = " ".join(Page(html).text)

    assert "Ditindaklanjuti" in text and "2 November 2026" in text and "9 November 2026" in text
    assert "rahasia" in text
    for hidden in ("Lubang ditambal", "Diteruskan ke OPD", "Dinas Pekerjaan Umum", "Riwayat tindak lanjut"):
        assert hidden not in html


def test_given_reporter_data_passed_by_mistake_when_tracked_then_none_of_it_is_shown() -> None:
    view = tracking_view(
        reporter={"name": "Budi Santoso", "phone": "+6281234567890", "email": "budi@example.id"},
        reporter_name="Budi Santoso",
        phone="+6281234567890",
        email="budi@example.id",
        description="Rumah saya di Jl. Melati 7",
        title="Laporan Budi",
    )

    html = render.render_tracking_page(CITY, view)

    for private in ("Budi", "6281234567890", "budi@example.id", "Melati"):
        assert private not in html


def test_given_hostile_notes_labels_and_names_when_tracked_then_they_are_escaped() -> None:
    view = tracking_view(
        tracking_number=HOSTILE,
        status_label=HOSTILE,
        agency_name=HOSTILE,
        timeline=[{"at": HOSTILE, "label": HOSTILE, "note": HOSTILE}],
    )

    html = render.render_tracking_page(HOSTILE, view)

    assert "<script>" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 5


def test_given_an_unknown_number_when_tracked_then_not_found_and_a_form_for_another_number() -> None:
    page = Page(render.render_tracking_page(CITY, None))

    assert "Nomor laporan tidak ditemukan" in "".join(page.text)
    assert page.all("form", method="get", action="/lacak")
    assert page.inputs()["nomor"]["type"] == "text"


def test_given_the_lookup_page_when_rendered_then_it_asks_for_a_number_by_get() -> None:
    page = Page(render.render_tracking_lookup(CITY))

    assert page.all("form", method="get", action="/lacak")
    assert "required" in page.inputs()["nomor"]
    assert "Lacak Laporan" in "".join(page.text)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 1, 31, 17, 30, tzinfo=UTC), "1 Februari 2026 pukul 00.30 WIB"),
        ("2026-12-31T23:59:59+07:00", "31 Desember 2026 pukul 23.59 WIB"),
        (date(2026, 8, 17), "17 Agustus 2026"),
        ("2026-08-17", "17 Agustus 2026"),
        ("kemarin", "kemarin"),
        (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), "31 Desember 9999 pukul 23.00"),
        (None, None),
    ],
)
def test_given_moments_when_formatted_then_they_read_as_indonesian_dates_in_wib(value, shown) -> None:
    assert render.format_moment(value) == shown


# -- static files --------------------------------------------------------------------------------------------


def test_given_the_whitelisted_static_files_when_served_then_content_and_type_are_returned() -> None:
    css, css_type = render.static_file("aduan.css")
    js, js_type = render.static_file("lapor.js")

    assert css_type == "text/css; charset=utf-8" and b".formulir" in css
    assert js_type == "text/javascript; charset=utf-8" and b"geolocation" in js


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../render.py",
        "../templates/base.html",
        "static/aduan.css",
        "/etc/passwd",
        "aduan.css/",
        "ADUAN.CSS",
        "aduan.css\x00",
        "..%2frender.py",
        None,
    ],
)
def test_given_any_other_name_when_served_then_nothing_is_returned(name) -> None:
    assert render.static_file(name) is None


def test_given_the_static_assets_when_read_then_they_load_nothing_from_elsewhere_and_inject_no_markup() -> None:
    css = render.static_file("aduan.css")[0].decode()
    js = render.static_file("lapor.js")[0].decode()

    assert "@import" not in css and "url(" not in css and "http" not in css
    for risky in ("innerHTML", "eval(", "document.write", "new Function", "http"):
        assert risky not in js
    json.dumps(js)  # plain UTF-8 text
