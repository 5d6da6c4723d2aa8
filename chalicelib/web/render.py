"""Render the public pages: the complaint form, its receipt, and the tracking pages.

Jinja2 with autoescaping on everything, templates from this package's ``templates/`` folder, and the
environment built once on first use (Jinja2 is imported there, never when this module is imported: most
requests render no page). The pages carry no inline script or style, so they work under the strict
Content-Security-Policy the handlers send; the form works without JavaScript (``lapor.js`` only adds the
"Bagikan lokasi saya" and "Salin nomor" buttons).

What reaches a template is chosen here, not by the caller: the tracking page gets a fixed set of public keys
(see `render_tracking_page`), so a reporter's identity cannot be shown even if a caller passes it along.

Every function takes an optional ``base_path`` (e.g. ``"/api"`` when the site is served under an API Gateway
stage prefix rather than a custom domain) that prefixes every link, form action and asset URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).parent
FORM_PATH = "/lapor"  # where the templates link the complaint form
EXAMPLE_NUMBER = "KDR-2611-7K3M9Q3"
STATIC_FILES = {
    "aduan.css": "text/css; charset=utf-8",
    "lapor.js": "text/javascript; charset=utf-8",
    "petugas.css": "text/css; charset=utf-8",  # the officer view, on top of aduan.css
    "petugas.js": "text/javascript; charset=utf-8",
}


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, not an empty string
        auto_reload=False,  # templates ship with the package: no stat() per render
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, city_name: str, base_path: str, **context: object) -> str:
    base = base_path.rstrip("/")
    if base and (not base.startswith("/") or base.startswith("//")):
        raise ValueError("base_path must be empty or an absolute path like '/api'")
    return (
        _environment()
        .get_template(template)
        .render(city_name=city_name, base=base, example_number=EXAMPLE_NUMBER, **context)
    )


def render_complaint_form(
    city_name: str,
    csrf_token: str,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, object] | None = None,
    *,
    idempotency_key: str,
    base_path: str = "",
) -> str:
    """The page "Sampaikan Laporan". ``errors`` maps field names (as `channels.web` reports them) to messages;
    ``values`` refills what the citizen typed after a failed submit (never the photo: browsers forbid it)."""
    values = dict(values or {})
    checked = {name: _truthy(values.get(name)) for name in ("anonymous", "confidential")}
    text_values = {key: "" if value is None else str(value) for key, value in values.items()}
    return _render(
        "complaint_form.html",
        city_name,
        base_path,
        csrf_token=csrf_token,
        idempotency_key=idempotency_key,
        errors=dict(errors or {}),
        values=text_values,
        checked=checked,
    )


def render_complaint_received(
    city_name: str, tracking_number: str, tracking_url: str | None, *, base_path: str = ""
) -> str:
    """The thank-you page: the tracking number big and easy to copy, and the link to follow the case."""
    return _render(
        "complaint_received.html",
        city_name,
        base_path,
        tracking_number=tracking_number,
        tracking_url=_safe_url(tracking_url),
    )


def render_scorecard(city_name: str, page: Mapping, *, base_path: str = "") -> str:
    """The public scorecard `/kinerja` (`services/scorecard.scorecard_page` gives `page`)."""
    return _render("kinerja.html", city_name, base_path, page=page)


def render_tracking_lookup(city_name: str, *, base_path: str = "") -> str:
    """A form to type a tracking number (``GET /lacak?nomor=…``)."""
    return _render("tracking_lookup.html", city_name, base_path)


def render_tracking_page(city_name: str, view: Mapping | None, *, base_path: str = "") -> str:
    """``GET /lacak/{nomor}``. ``view`` is None when the number is unknown (answer 404 with this page).

    Read from ``view`` (and nothing else): ``tracking_number`` (or ``case_id``), ``status_label``,
    ``agency_name`` (or ``lead_agency_name``), ``received_at``, ``deadline`` (a moment, or a dict with
    ``due_at``), ``closed_at``, ``merged_into`` (the number of the case it joined), ``confidential``, and
    ``timeline``: a list of public follow-ups ``{at, label, note}``.
    Moments may be datetimes, dates or ISO 8601 strings; they are shown in WIB. A confidential case shows
    only its status and dates."""
    return _render("tracking.html", city_name, base_path, view=_public_view(view) if view is not None else None)


def render_tracking_limited(city_name: str, message: str, *, base_path: str = "") -> str:
    """The page a client gets after too many tracking lookups (429): the wait, in Bahasa Indonesia."""
    return _render("tracking_limited.html", city_name, base_path, message=message)


def _public_view(view: Mapping) -> dict:
    confidential = bool(view.get("confidential"))
    deadline = view.get("deadline")
    if isinstance(deadline, Mapping):
        deadline = deadline.get("due_at")
    timeline = view.get("timeline") or []
    return {
        "number": str(view.get("tracking_number") or view.get("case_id") or ""),
        "status_label": str(view.get("status_label") or "-"),
        "agency_name": None
        if confidential
        else _optional_text(view.get("agency_name") or view.get("lead_agency_name")),
        "received_at": format_moment(view.get("received_at")),
        "deadline": format_moment(deadline),
        "closed_at": format_moment(view.get("closed_at")),
        "merged_into": _optional_text(view.get("merged_into")),
        "confidential": confidential,
        "timeline": []
        if confidential
        else [
            {
                "at": format_moment(item.get("at")),
                "label": str(item.get("label") or ""),
                "note": _optional_text(item.get("note")),
            }
            for item in timeline
            if isinstance(item, Mapping)
        ],
    }


def format_moment(value: object) -> str | None:
    """'5 Agustus 2019 pukul 04.30 WIB' for a moment, '5 Agustus 2019' for a date; other text unchanged."""
    from chalicelib.domain.calendar import WIB

    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:  # a bare date ("2026-08-17") stays a date; fromisoformat would make it midnight
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"{_date_text(value)} pukul {value:%H.%M}"
        try:
            local = value.astimezone(WIB)
        except OverflowError:  # at the edge of the calendar: show it as given
            return f"{_date_text(value)} pukul {value:%H.%M}"
        return f"{_date_text(local)} pukul {local:%H.%M} WIB"
    if isinstance(value, date):
        return _date_text(value)
    return str(value)


def _date_text(day: date) -> str:
    from chalicelib.domain.calendar import format_date_id

    return format_date_id(day)


def _optional_text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "ya")
    return bool(value)


def _safe_url(url: str | None) -> str | None:
    """Only http(s) or site-relative links: escaping stops markup injection, not a ``javascript:`` URL."""
    if not url:
        return None
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return None


@lru_cache(maxsize=len(STATIC_FILES))
def _read_static(name: str) -> bytes:
    return (PACKAGE_DIR / "static" / name).read_bytes()


def static_file(name: str) -> tuple[bytes, str] | None:
    """(content, content type) of a file in ``static/``, by exact name from a fixed list: nothing else on the
    disk can be reached through it."""
    content_type = STATIC_FILES.get(name) if isinstance(name, str) else None
    if content_type is None:
        return None
    return _read_static(name), content_type
