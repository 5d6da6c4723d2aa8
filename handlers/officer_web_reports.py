"""Officer web view: the dashboard and the monthly recap (with its CSV and XLSX downloads)."""

from __future__ import annotations

from chalice import Blueprint, Response

from handlers.officer_pages import SECURITY_HEADERS, officer_page

officer_web_reports = Blueprint(__name__)


@officer_page(officer_web_reports, "/petugas/dasbor", menu="/petugas/dasbor")
def dashboard_page(web):
    from chalicelib.services.dashboard import dashboard_page_context

    return web.page("dasbor.html", **dashboard_page_context(
        web.ctx, web.actor, web.params.get("months", "3"), web.params.get("agency") or None))


@officer_page(officer_web_reports, "/petugas/rekap", menu="/petugas/rekap")
def recap_page(web):
    from chalicelib.services.recap import current_month, recap_download, recap_page_context

    month = web.params.get("bulan") or None
    agency = web.params.get("agency") or None
    wanted = web.params.get("format")
    if wanted:
        body, content_type, filename = recap_download(
            web.ctx, web.actor, month or current_month(web.ctx.now()), wanted, agency)
        if content_type.startswith("text/"):
            body = body.decode("utf-8")  # Chalice sends bytes only for binary types (the XLSX is one)
        return Response(body=body, status_code=200, headers={
            **SECURITY_HEADERS,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
        })
    return web.page("rekap.html", **recap_page_context(web.ctx, web.actor, month, agency))
