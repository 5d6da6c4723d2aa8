"""Officer web view: inbox pages (see handlers/officer_pages.py for the page plumbing).

`GET /petugas/` — the officer's queue, filtered by a GET form, 25 rows a page behind a signed cursor that is
bound to the query it came from; `?nomor=` jumps straight to a case the officer may open.
"""

from __future__ import annotations

from urllib.parse import quote

from chalice import Blueprint

from handlers.officer_pages import officer_page

officer_web_inbox = Blueprint(__name__)

NOT_FOUND = "Laporan dengan nomor {number} tidak ditemukan di antara laporan yang dapat Anda buka. " \
            "Periksa kembali nomornya."


@officer_page(officer_web_inbox, "/petugas", menu="/petugas/")
def inbox_page(web):
    from chalicelib.domain.errors import ValidationFailed
    from chalicelib.services import inbox

    ctx, actor, params = web.ctx, web.actor, web.params
    number = (params.get("nomor") or "").strip()[:64]
    notice, status = "", 200
    if number:
        found = inbox.find_visible_case(ctx, actor, number)
        if found is not None:
            return web.redirect("/petugas/kasus/" + quote(found, safe=""))
        notice, status = NOT_FOUND.format(number=number), 404
    try:
        query = inbox.parse_query(ctx, actor, {} if number else params)
        token = None if number else params.get("kursor")
        page = inbox.list_inbox(ctx, actor, query, _start_key(ctx, query, token))
    except ValidationFailed as error:
        return web.page("inbox.html", 400, error=error.message, notice="", number=number,
                        **inbox.empty_view(ctx, actor, params))
    view = inbox.inbox_view(ctx, actor, query, page, _cursor(ctx, query, page.cursor), first_page=not token)
    return web.page("inbox.html", status, error="", notice=notice, number=number, **view)


def _cursor(ctx, query, key: dict | None) -> str | None:
    from handlers.request_input import encode_cursor

    return encode_cursor(ctx, {"q": query.fingerprint(), "k": key}) if key else None


def _start_key(ctx, query, token: str | None) -> dict | None:
    """The position a "Halaman berikutnya" link carries; refused unless signed by us for this same query."""
    from chalicelib.domain.errors import ValidationFailed
    from handlers.request_input import decode_cursor

    if not token:
        return None
    if len(token) > 2000:
        raise ValidationFailed("Penanda halaman tidak sah.", field="kursor")
    decoded = decode_cursor(ctx, token)
    if not isinstance(decoded, dict) or decoded.get("q") != query.fingerprint() or not isinstance(
            decoded.get("k"), dict):
        raise ValidationFailed("Penanda halaman tidak cocok dengan saringan ini. Mulai lagi dari halaman pertama.",
                               field="kursor")
    return decoded["k"]
