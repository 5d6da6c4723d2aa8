"""The officer inbox (`/petugas/`): who sees which queue, the filters, one page of rows, the SLA in words.

Who sees what:
- the admin koordinator and leadership: the city's queue by status (`by_status`), or one OPD's;
- an OPD officer or supervisor: the cases its OPD leads (cases table, `by_agency_status`) or, as
  *OPD pendukung*, the cases it supports (`AgencyCaseRecord`, written by the sync job). Never another OPD's,
  whatever the query string asks for.

Status, OPD and the receipt-date range are key conditions of the index; category, channel and the deadline
filters are filter expressions on projected attributes. Always a Query, never a Scan; a page reads at most
`READ_CAP` items.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import quote, urlencode

from chalicelib.domain.calendar import WIB, WorkingCalendar, end_of_day_wib
from chalicelib.domain.case import Actor, Channel, Role, Status
from chalicelib.domain.errors import NotPermitted, ValidationFailed
from chalicelib.domain.tracking import normalize_tracking_number
from chalicelib.services.context import Context
from chalicelib.store.cases import CaseSummary, InboxFilter, InboxPage

PAGE_SIZE = 25
READ_CAP = 200  # items a page may have DynamoDB evaluate when filter expressions drop some of them

AS_LEAD = "utama"
AS_SUPPORT = "pendukung"
ROLE_CHOICES = ((AS_LEAD, "Sebagai OPD utama"), (AS_SUPPORT, "Sebagai OPD pendukung"))
OVERDUE = "lewat"
DUE_SOON = "segera"
DUE_CHOICES = ((OVERDUE, "Lewat batas waktu"), (DUE_SOON, "Segera jatuh tempo (≤ 1 hari kerja)"))
CITY_ROLES = (Role.ADMIN, Role.LEADERSHIP)
AGENCY_ROLES = (Role.OPD, Role.SUPERVISOR)
FILTER_PARAMS = ("peran", "status", "opd", "kategori", "kanal", "tenggat", "dari", "sampai")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
_MAX_PARAM = 100


# ---------------------------------------------------------------- SLA in words


@dataclass(frozen=True)
class SlaBadge:
    css: str  # sla-aman | sla-segera | sla-lewat | sla-jeda
    words: str


def sla_badge(calendar: WorkingCalendar, now: datetime, due_at: datetime | None,
              status: Status | str) -> SlaBadge | None:
    """The deadline as an officer reads it, in working days on WIB dates (colour class and words).

    "3 hari kerja lagi", "1 hari kerja lagi" and "hari ini batas terakhir" (the last two: segera), "lewat 2
    hari kerja" once the deadline (23:59:59 WIB of its day) has passed, "dijeda" while the case is on hold;
    None when the case has no running deadline (closed).
    """
    if Status(status) is Status.DITUNDA:
        return SlaBadge("sla-jeda", "dijeda")
    if due_at is None:
        return None
    today, due_day = calendar.local_date(now), calendar.local_date(due_at)
    if now > due_at:
        late = calendar.count_working_days(due_day, today)
        return SlaBadge("sla-lewat", f"lewat {late} hari kerja" if late else "lewat batas waktu")
    left = calendar.count_working_days(today, due_day)
    if left == 0:
        return SlaBadge("sla-segera", "hari ini batas terakhir")
    return SlaBadge("sla-segera" if left <= 1 else "sla-aman", f"{left} hari kerja lagi")


def due_soon_until(calendar: WorkingCalendar, now: datetime) -> datetime:
    """The end of the "segera jatuh tempo" window: 23:59:59 WIB of the next working day after today."""
    return end_of_day_wib(calendar.working_day_after(calendar.local_date(now), 1))


# ---------------------------------------------------------------- the query


@dataclass(frozen=True)
class InboxQuery:
    status: Status
    agency: str | None  # None: the whole city (admin / leadership only)
    role: str  # AS_LEAD | AS_SUPPORT (with an agency)
    category: str | None = None
    channel: str | None = None
    due: str | None = None  # OVERDUE | DUE_SOON
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, str]:
        """The query string that reproduces this query (what the "next page" link carries)."""
        values = {
            "peran": self.role if self.agency else "",
            "status": self.status.value,
            "opd": self.agency or "",
            "kategori": self.category or "",
            "kanal": self.channel or "",
            "tenggat": self.due or "",
            "dari": self.since.isoformat() if self.since else "",
            "sampai": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}

    def fingerprint(self) -> str:
        """Binds a page cursor to the query it came from: a cursor is refused on any other query."""
        body = json.dumps(asdict(self), default=str, sort_keys=True).encode()
        return hashlib.sha256(body).hexdigest()[:16]


def default_status(actor: Actor) -> Status:
    return Status.BARU if actor.role in CITY_ROLES else Status.TERVERIFIKASI


def parse_query(ctx: Context, actor: Actor, params: dict[str, str]) -> InboxQuery:
    """The inbox query an officer asked for; NotPermitted for another OPD's cases, ValidationFailed (with an
    Indonesian message) for anything malformed."""
    values = {name: str(params.get(name) or "").strip() for name in FILTER_PARAMS}
    if any(len(v) > _MAX_PARAM for v in values.values()):
        raise ValidationFailed("Isian saringan terlalu panjang.")
    if actor.role in AGENCY_ROLES:
        if values["opd"] not in ("", actor.agency_id):
            raise NotPermitted("Anda hanya dapat melihat laporan OPD Anda sendiri.")
        agency: str | None = actor.agency_id
    elif actor.role in CITY_ROLES:
        agency = values["opd"] or None
        if agency is not None and agency not in ctx.agencies:
            raise ValidationFailed("OPD tidak dikenal.", field="opd")
    else:
        raise NotPermitted("Kotak masuk hanya untuk petugas.")
    role = values["peran"] or AS_LEAD
    if role not in (AS_LEAD, AS_SUPPORT):
        raise ValidationFailed("Pilihan peran OPD tidak dikenal.", field="peran")
    if agency is None:
        role = AS_LEAD  # the city queue has no roles: "pendukung" means something only for one OPD
    try:
        status = Status(values["status"]) if values["status"] else default_status(actor)
    except ValueError:
        raise ValidationFailed("Status tidak dikenal.", field="status") from None
    category = values["kategori"] or None
    if category is not None and category not in ctx.categories:
        raise ValidationFailed("Kategori tidak dikenal.", field="kategori")
    channel = values["kanal"] or None
    if channel is not None and channel not in {c.value for c in Channel}:
        raise ValidationFailed("Kanal tidak dikenal.", field="kanal")
    due = values["tenggat"] or None
    if due is not None and due not in (OVERDUE, DUE_SOON):
        raise ValidationFailed("Pilihan batas waktu tidak dikenal.", field="tenggat")
    since = _date(values["dari"], "dari", "Tanggal awal")
    until = _date(values["sampai"], "sampai", "Tanggal akhir")
    if since and until and since > until:
        raise ValidationFailed("Tanggal awal tidak boleh sesudah tanggal akhir.", field="dari")
    return InboxQuery(status=status, agency=agency, role=role, category=category, channel=channel, due=due,
                      since=since, until=until)


def _date(text: str, field: str, label: str) -> date | None:
    if not text:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{label} tidak valid: tulis sebagai TTTT-BB-HH, misalnya 2026-11-23.",
                               field=field) from None


def index_filter(ctx: Context, query: InboxQuery) -> InboxFilter:
    """The query as conditions on the index: dates in WIB to UTC bounds of `received_at`."""
    now = ctx.now()
    return InboxFilter(
        received_from=datetime.combine(query.since, time.min, WIB).astimezone(UTC) if query.since else None,
        received_to=datetime.combine(query.until, time.max, WIB).astimezone(UTC) if query.until else None,
        category_id=query.category,
        channel=query.channel,
        due_before=now if query.due == OVERDUE else None,
        due_from=now if query.due == DUE_SOON else None,
        due_until=due_soon_until(ctx.calendar, now) if query.due == DUE_SOON else None,
    )


# ---------------------------------------------------------------- reading


def find_visible_case(ctx: Context, actor: Actor, text: str) -> str | None:
    """The canonical tracking number if it names a case this officer may open, else None (whether the case
    does not exist or belongs to another OPD: the answer is the same)."""
    from chalicelib.services.workflow import can_see

    canonical = normalize_tracking_number(text or "")
    if canonical is None:
        return None
    case = ctx.cases.get(canonical)
    return canonical if case is not None and can_see(case, actor) else None


def list_inbox(ctx: Context, actor: Actor, query: InboxQuery, start_key: dict | None = None,
               page_size: int = PAGE_SIZE, read_cap: int = READ_CAP) -> InboxPage:
    """One page of the queue `query` names (re-checked against the actor: an OPD only ever its own)."""
    from pynamodb.exceptions import QueryError

    if actor.role in AGENCY_ROLES and query.agency != actor.agency_id:
        raise NotPermitted("Anda hanya dapat melihat laporan OPD Anda sendiri.")
    if actor.role not in (*AGENCY_ROLES, *CITY_ROLES):
        raise NotPermitted("Kotak masuk hanya untuk petugas.")
    spec = index_filter(ctx, query)
    try:
        if query.agency and query.role == AS_SUPPORT:
            return ctx.agency_cases.inbox(query.agency, query.status, spec, page_size, read_cap, start_key)
        if query.agency:
            return ctx.cases.inbox_by_agency_status(query.agency, query.status, spec, page_size, read_cap,
                                                    start_key)
        return ctx.cases.inbox_by_status(query.status, spec, page_size, read_cap, start_key)
    except QueryError as error:
        if start_key is not None and getattr(error, "cause_response_code", None) == "ValidationException":
            raise ValidationFailed("Penanda halaman tidak sah. Mulai lagi dari halaman pertama.",
                                   field="kursor") from None
        raise


# ---------------------------------------------------------------- shaping for the page


def channel_label(value: str | None) -> str:
    try:
        return Channel(value or "").label
    except (ValueError, AttributeError, KeyError):
        return value or "-"


def short_moment(moment: datetime) -> str:
    """'23 Nov 2026 09.00' (WIB): compact enough for a table cell."""
    local = moment.astimezone(WIB)
    return f"{local.day} {_MONTHS_SHORT[local.month - 1]} {local.year} {local:%H.%M}"


def row_view(ctx: Context, item: CaseSummary, now: datetime) -> dict:
    agencies, categories = ctx.agencies, ctx.categories
    lead = agencies.get(item.lead_agency or "")
    category = categories.get(item.category_id or "")
    badge = sla_badge(ctx.calendar, now, item.due_at, item.status)
    return {
        "case_id": item.case_id,
        "path": "/petugas/kasus/" + quote(item.case_id, safe=""),
        "received": short_moment(item.received_at),
        "received_iso": item.received_at.astimezone(WIB).isoformat(timespec="minutes"),
        "summary": item.summary,
        "category": category.name if category else "-",
        "channel": channel_label(item.channel),
        "lead": lead.short_name if lead else (item.lead_agency or "-"),
        "lead_name": lead.name if lead else "",
        "status": item.status.value,
        "status_label": item.status.label,
        "anonymous": item.anonymous,
        "confidential": item.confidential,
        "sla": badge,
        "sla_kind": _due_kind_label(item.due_kind) if badge and item.due_at else "",
    }


def _due_kind_label(kind: str | None) -> str:
    from chalicelib.domain.sla import DeadlineKind

    try:
        return DeadlineKind(kind or "").label
    except ValueError:
        return ""


def form_view(ctx: Context, actor: Actor, values: dict[str, str]) -> dict:
    """What the filter form offers this officer, with `values` (the query as typed) selected."""
    city = actor.role in CITY_ROLES
    agencies = sorted(ctx.agencies.values(), key=lambda a: a.short_name.lower()) if city else []
    return {
        "values": values,
        "statuses": [(s.value, s.label) for s in Status],
        "agencies": [(a.agency_id, f"{a.short_name} — {a.name}") for a in agencies],
        "categories": sorted(((c.category_id, c.name) for c in ctx.categories.values()), key=lambda c: c[1]),
        "channels": [(c.value, channel_label(c.value)) for c in Channel],
        "due_choices": DUE_CHOICES,
        "city_wide": city,
    }


def typed_values(params: dict[str, str]) -> dict[str, str]:
    return {name: str(params.get(name) or "")[:_MAX_PARAM] for name in FILTER_PARAMS}


def inbox_view(ctx: Context, actor: Actor, query: InboxQuery, page: InboxPage, next_cursor: str | None,
               first_page: bool) -> dict:
    now = ctx.now()
    agency = ctx.agencies.get(query.agency or "")
    values = typed_values(query.params())
    values["peran"] = query.role
    values["status"] = query.status.value
    params = query.params()
    return {
        **form_view(ctx, actor, values),
        "rows": [row_view(ctx, item, now) for item in page.items],
        "scope": _scope_text(query, agency.short_name if agency else None),
        "role_links": _role_links(query, actor),
        "next_path": "/petugas/?" + urlencode({**params, "kursor": next_cursor}) if next_cursor else None,
        "first_path": None if first_page else "/petugas/?" + urlencode(params),
        "capped": page.capped,
        "read_cap": READ_CAP,
        "filtered": any(v for k, v in params.items() if k not in ("peran", "status", "opd")),
    }


def empty_view(ctx: Context, actor: Actor, params: dict[str, str]) -> dict:
    """The page around an error message: the form as the officer typed it, no rows."""
    return {
        **form_view(ctx, actor, typed_values(params)),
        "rows": [],
        "scope": "",
        "role_links": [],
        "next_path": None,
        "first_path": None,
        "capped": False,
        "read_cap": READ_CAP,
        "filtered": True,
    }


def _scope_text(query: InboxQuery, agency_name: str | None) -> str:
    if agency_name is None:
        return f"Seluruh kota · {query.status.label}"
    as_what = "OPD pendukung" if query.role == AS_SUPPORT else "OPD utama"
    return f"{agency_name} sebagai {as_what} · {query.status.label}"


def _role_links(query: InboxQuery, actor: Actor) -> list[dict]:
    if not query.agency:
        return []
    links = []
    for role, label in ROLE_CHOICES:
        params = {"peran": role, "status": query.status.value}
        if actor.role in CITY_ROLES:
            params["opd"] = query.agency
        links.append({"label": label, "path": "/petugas/?" + urlencode(params), "current": role == query.role})
    return links
