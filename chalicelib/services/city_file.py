"""The city file: one versioned YAML document that sets up a city's directory (docs/city-file.md).

Why a file: on day one a Pemda's Diskominfo has a spreadsheet of OPDs, categories and officers, not an admin
page. The file is parsed node by node (``yaml.compose``) so every error names its line for the operator;
validated as a whole (all errors at once); compared with the stored directory into a plan (add / change /
retire, never delete: what the file leaves out is reported and kept); and applied idempotently. ``export``
writes the stored directory back in the same format, so export → apply plans nothing.

The service levels (SLA, hold limit, quiet hours) are stored per city too (one settings item, read by the
context in place of the stage's environment defaults): the file's values are compared with what the city runs
and applied as one ``service_levels`` change. Only the city's name stays an environment setting (reported).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.domain.case import Role
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category, tokenize
from chalicelib.domain.sla import DEFAULT_FOLLOW_UP_DAYS, MAX_DAYS, CapStart, SlaPolicy, Tier

if TYPE_CHECKING:
    from yaml.nodes import Node

    from chalicelib.services.context import Context
    from chalicelib.store.directory import StoredCitySettings

FORMAT_VERSION = 1
AUDIT_KIND = "admin"  # the same audit partition as the admin pages' directory edits
AUDIT_ACTOR = "city-file"
ALERT_CHANNELS = ("line", "sms", "email")
_CODE_RE = re.compile(r"[a-z][a-z0-9-]{1,39}")
_CITY_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,9}")
_USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CODE_RULE = "must be 2-40 lowercase letters, digits or '-', starting with a letter"
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread


class CityFileError(ValueError):
    """The file cannot be used; ``errors`` are "line N: reason" lines, all of them at once."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


# --------------------------------------------------------------------------------------- the file's content
@dataclass(frozen=True)
class OfficerEntry:
    """An officer as the file describes them (no password: new officers get a one-time one)."""

    username: str
    display_name: str
    role: Role
    agency_id: str
    phone: str | None = None
    email: str | None = None
    alert_channel: str = "sms"
    active: bool = True


@dataclass(frozen=True)
class CityFile:
    code: str
    name: str
    agencies: tuple[Agency, ...]
    line_groups: dict[str, str]  # agency code → LINE groupId
    categories: tuple[Category, ...]
    officers: tuple[OfficerEntry, ...]
    sla: SlaPolicy
    hold_limit_days: int
    quiet_hours: str
    days_off: dict[date, str]


# --------------------------------------------------------------------------------------- parsing
class _Reader:
    """Walks the composed YAML nodes, collecting "line N: reason" errors instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, node: Node, reason: str) -> None:
        self.errors.append(f"line {node.start_mark.line + 1}: {reason}")

    def mapping(self, node: Node, what: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Node]:
        from yaml.nodes import MappingNode

        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of keys to values")
            return {}
        required = tuple(required)
        allowed = set(required) | set(optional)
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in found:
                self.error(key_node, f"{what}: the key '{key}' appears twice")
            elif key not in allowed:
                self.error(key_node, f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
            else:
                found[key] = value_node
        for key in required:
            if key not in found:
                self.error(node, f"{what}: the key '{key}' is missing")
        return found

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        from yaml.nodes import SequenceNode

        if node is None or _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list")
            return []
        return list(node.value)

    def text(self, node: Node | None, what: str, *, required: bool = True) -> str | None:
        """A scalar's text exactly as written: an unquoted +62812… or 2026 stays text, not a number."""
        from yaml.nodes import ScalarNode

        if node is None or _is_null(node):
            if required and node is not None:
                self.error(node, f"{what} must not be empty")
            return None
        if not isinstance(node, ScalarNode):
            self.error(node, f"{what} must be a single value, not a list or mapping")
            return None
        value = str(node.value).strip()
        if not value and required:
            self.error(node, f"{what} must not be empty")
            return None
        return value or None

    def boolean(self, node: Node | None, what: str, default: bool = True) -> bool:
        if node is None:
            return default
        if node.tag != "tag:yaml.org,2002:bool":
            self.error(node, f"{what} must be true or false, got '{node.value}'")
            return default
        return bool(_construct(node))

    def days(self, node: Node | None, what: str, default: int) -> int:
        if node is None:
            return default
        if node.tag != "tag:yaml.org,2002:int":
            self.error(node, f"{what} must be a whole number of days, got '{node.value}'")
            return default
        value = int(_construct(node))
        if not 1 <= value <= MAX_DAYS:
            self.error(node, f"{what} must be from 1 to {MAX_DAYS} days, got {value}")
            return default
        return value


def _is_null(node: Node) -> bool:
    return node.tag == "tag:yaml.org,2002:null"


def _construct(node: Node) -> Any:
    from yaml.constructor import SafeConstructor

    return SafeConstructor().construct_object(node, deep=True)


def parse_city_file(text: str) -> CityFile:
    """Parse and validate a city file; raises CityFileError with every problem found, each with its line."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"line {mark.line + 1}: " if mark else ""
        raise CityFileError([f"{line}not valid YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise CityFileError([f"line 1: not valid YAML: {error}"]) from None
    if root is None:
        raise CityFileError(["line 1: the file is empty"])
    r = _Reader()
    top = r.mapping(root, "the file", ("version", "city", "agencies", "categories", "officers"),
                    ("sla", "quiet_hours", "extra_days_off"))
    version = top.get("version")
    if version is not None and (version.tag != "tag:yaml.org,2002:int" or _construct(version) != FORMAT_VERSION):
        r.error(version, f"version must be {FORMAT_VERSION} (this Aduan reads city files of version {FORMAT_VERSION})")
        raise CityFileError(r.errors)
    code, name = "", ""
    if "city" in top:
        city = r.mapping(top["city"], "city", ("code", "name"))
        code = r.text(city.get("code"), "city code") or ""
        name = r.text(city.get("name"), "city name") or ""
        if code and not _CITY_CODE_RE.fullmatch(code):
            r.error(city["code"], f"city code '{code}' must be 2-10 capital letters or digits, like KDR")
    agencies, line_groups = _agencies(r, top.get("agencies"))
    agency_codes = {a.agency_id for a in agencies}
    categories = _categories(r, top.get("categories"), agency_codes)
    officers = _officers(r, top.get("officers"), agency_codes)
    sla, hold_limit = _sla(r, top.get("sla"))
    quiet = _quiet_hours(r, top.get("quiet_hours"))
    days_off = _days_off(r, top.get("extra_days_off"))
    if r.errors:
        raise CityFileError(r.errors)
    return CityFile(code, name, tuple(agencies), line_groups, tuple(categories), tuple(officers), sla, hold_limit,
                    quiet, days_off)


def _agencies(r: _Reader, node: Node | None) -> tuple[list[Agency], dict[str, str]]:
    agencies: list[Agency] = []
    groups: dict[str, str] = {}
    seen: set[str] = set()
    items = r.sequence(node, "agencies")
    if node is not None and not items and not r.errors:
        r.error(node, "agencies: the city needs at least one OPD")
    for item in items:
        m = r.mapping(item, "agency", ("code", "name", "short_name"), ("line_group", "active"))
        code = r.text(m.get("code"), "agency code")
        if code is None:
            continue
        if not _CODE_RE.fullmatch(code):
            r.error(m["code"], f"agency code '{code}' {_CODE_RULE}")
        elif code in seen:
            r.error(m["code"], f"agency code '{code}' appears twice")
        seen.add(code)
        group = r.text(m.get("line_group"), "line_group", required=False)
        if group:
            if not re.fullmatch(r"C[0-9a-zA-Z]{32}", group):
                r.error(m["line_group"], f"line_group '{group}' is not a LINE groupId (C followed by 32 characters)")
            groups[code] = group
        agencies.append(Agency(code, r.text(m.get("name"), "agency name") or "",
                               r.text(m.get("short_name"), "agency short_name") or "",
                               r.boolean(m.get("active"), "active")))
    return agencies, groups


def _categories(r: _Reader, node: Node | None, agency_codes: set[str]) -> list[Category]:
    categories: list[Category] = []
    seen: set[str] = set()
    tiers = ", ".join(t.value for t in Tier)
    for item in r.sequence(node, "categories"):
        m = r.mapping(item, "category", ("id", "name", "opd", "keywords"), ("tier", "active"))
        cid = r.text(m.get("id"), "category id")
        if cid is None:
            continue
        if not _CODE_RE.fullmatch(cid):
            r.error(m["id"], f"category id '{cid}' {_CODE_RULE}")
        elif cid in seen:
            r.error(m["id"], f"category id '{cid}' appears twice")
        seen.add(cid)
        opd = r.text(m.get("opd"), "category opd") or ""
        if opd and opd not in agency_codes:
            r.error(m["opd"], f"category '{cid}': default OPD '{opd}' is not one of the agencies in this file")
        tier = r.text(m.get("tier"), "tier", required=False) or Tier.NORMATIF.value
        if tier not in {t.value for t in Tier}:
            r.error(m["tier"], f"category '{cid}': unknown tier '{tier}' (expected one of: {tiers})")
            tier = Tier.NORMATIF.value
        keywords: list[str] = []
        for kw_node in r.sequence(m.get("keywords"), "keywords"):
            keyword = r.text(kw_node, "keyword")
            if keyword is None:
                continue
            if keyword.lower() in {k.lower() for k in keywords}:
                r.error(kw_node, f"category '{cid}': keyword '{keyword}' appears twice")
            elif not tokenize(keyword):
                r.error(kw_node, f"category '{cid}': keyword '{keyword}' is only filler words and can never match")
            else:
                keywords.append(keyword)
        if "keywords" in m and not keywords:
            r.error(m["keywords"], f"category '{cid}': give at least one keyword for the suggester")
        if opd:
            categories.append(Category(cid, r.text(m.get("name"), "category name") or "", opd, tuple(keywords),
                                       tier, r.boolean(m.get("active"), "active")))
    return categories


def _officers(r: _Reader, node: Node | None, agency_codes: set[str]) -> list[OfficerEntry]:
    officers: list[OfficerEntry] = []
    seen: dict[str, str] = {}
    for item in r.sequence(node, "officers"):
        m = r.mapping(item, "officer", ("username", "name", "role"),
                      ("opd", "phone", "email", "alerts", "active"))
        raw = r.text(m.get("username"), "username")
        if raw is None:
            continue
        username = raw.lower()
        if not _USERNAME_RE.fullmatch(username):
            r.error(m["username"], f"username '{raw}' must be 3-64 letters, digits, '.', '_' or '-'")
        elif username in seen:
            r.error(m["username"], f"username '{raw}' is already used by '{seen[username]}' "
                                   "(usernames are compared without case)")
        seen.setdefault(username, raw)
        role_text = (r.text(m.get("role"), "role") or "").lower()
        role = _role(role_text)
        if role_text and role is None:
            r.error(m["role"], f"officer '{raw}': unknown role '{role_text}' (expected one of: "
                               "admin, opd, supervisor, leadership)")
        opd = r.text(m.get("opd"), "opd", required=False)
        if opd is None:
            r.error(item, f"officer '{raw}' needs an opd (the code of the agency they belong to)")
        elif opd not in agency_codes:
            r.error(m["opd"], f"officer '{raw}': OPD '{opd}' is not one of the agencies in this file")
        phone = r.text(m.get("phone"), "phone", required=False)
        if phone:
            try:
                from chalicelib.domain.phone import normalize_phone

                phone = normalize_phone(phone)
            except ValidationFailed:
                r.error(m["phone"], f"officer '{raw}': '{phone}' is not a valid phone number")
        email = r.text(m.get("email"), "email", required=False)
        if email and not _EMAIL_RE.fullmatch(email):
            r.error(m["email"], f"officer '{raw}': '{email}' is not an e-mail address")
        channel = (r.text(m.get("alerts"), "alerts", required=False) or "sms").lower()
        if channel not in ALERT_CHANNELS:
            r.error(m["alerts"], f"officer '{raw}': alerts must be one of {', '.join(ALERT_CHANNELS)}, got '{channel}'")
        elif channel == "sms" and not phone and "alerts" in m:
            r.error(m["alerts"], f"officer '{raw}': alerts by sms need a phone")
        elif channel == "email" and not email:
            r.error(m["alerts"], f"officer '{raw}': alerts by email need an email")
        if role is not None and opd:
            officers.append(OfficerEntry(username, r.text(m.get("name"), "officer name") or "", role, opd, phone,
                                         email, channel, r.boolean(m.get("active"), "active")))
    if node is not None and not r.errors and not any(o.role is Role.ADMIN and o.active for o in officers):
        r.error(node, "officers: at least one active admin is needed (someone must be able to verify complaints)")
    return officers


def _role(value: str) -> Role | None:
    for role in (Role.ADMIN, Role.OPD, Role.SUPERVISOR, Role.LEADERSHIP):
        if value == role.value:
            return role
    return None


def _sla(r: _Reader, node: Node | None) -> tuple[SlaPolicy, int]:
    default = SlaPolicy()
    if node is None:
        return default, 14
    m = r.mapping(node, "sla", (), ("verify_days", "follow_up_days", "auto_close_days", "cap_days", "cap_starts",
                                    "hold_limit_days"))
    follow: dict[Tier, int] = dict(DEFAULT_FOLLOW_UP_DAYS)
    if "follow_up_days" in m:
        tiers = r.mapping(m["follow_up_days"], "sla follow_up_days", (), tuple(t.value for t in Tier))
        for key, value in tiers.items():
            follow[Tier(key)] = r.days(value, f"follow_up_days.{key}", follow[Tier(key)])
    cap_starts = r.text(m.get("cap_starts"), "cap_starts", required=False) or CapStart.VERIFIED.value
    if cap_starts not in {s.value for s in CapStart}:
        allowed = ", ".join(s.value for s in CapStart)
        r.error(m["cap_starts"], f"cap_starts must be one of {allowed}, got '{cap_starts}'")
        cap_starts = CapStart.VERIFIED.value
    policy = SlaPolicy(
        verify_days=r.days(m.get("verify_days"), "verify_days", default.verify_days),
        follow_up_days=follow,
        auto_close_days=r.days(m.get("auto_close_days"), "auto_close_days", default.auto_close_days),
        finish_cap_days=r.days(m.get("cap_days"), "cap_days", default.finish_cap_days),
        cap_starts=CapStart(cap_starts),
    )
    return policy, r.days(m.get("hold_limit_days"), "hold_limit_days", 14)


def _quiet_hours(r: _Reader, node: Node | None) -> str:
    from chalicelib.domain.alerts import format_quiet_hours, parse_quiet_hours

    text = r.text(node, "quiet_hours", required=False)
    if node is None or text is None:
        return "21:00-06:00" if node is None else ""
    try:
        window = parse_quiet_hours(text)
    except ValueError:
        r.error(node, f"quiet_hours must look like 21:00-06:00 (WIB), got '{text}'")
        return ""
    return format_quiet_hours(*window) if window else ""


def _days_off(r: _Reader, node: Node | None) -> dict[date, str]:
    days: dict[date, str] = {}
    for item in r.sequence(node, "extra_days_off"):
        m = r.mapping(item, "day off", ("date", "label"))
        raw = r.text(m.get("date"), "date")
        label = r.text(m.get("label"), "label")
        if raw is None:
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            r.error(m["date"], f"'{raw}' is not a date (write it as YYYY-MM-DD, e.g. 2026-07-27)")
            continue
        if day in days:
            r.error(m["date"], f"the day off {day.isoformat()} appears twice")
        days[day] = label or ""
    return days


# --------------------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class Change:
    """One line of the plan: ``action`` is add | change | retire | reactivate | bind."""

    kind: str  # agency | category | officer | day_off | line_group | service_levels
    key: str
    action: str
    details: tuple[str, ...] = ()

    def describe(self) -> str:
        more = f" ({'; '.join(self.details)})" if self.details else ""
        return f"{self.action:<10} {self.kind} {self.key}{more}"


@dataclass
class Plan:
    """What applying the file would do, what it keeps that the file leaves out, and settings to change by hand."""

    city_code: str
    changes: list[Change] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stored but absent from the file: reported, never deleted
    settings: list[str] = field(default_factory=list)  # file values only the environment sets (city name)

    @property
    def empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        out = [f"City {self.city_code}: " + (f"{len(self.changes)} change(s)" if self.changes
                                              else "nothing to change, the stored directory matches the file")]
        out += [f"  {c.describe()}" for c in self.changes]
        if self.kept:
            out.append("Kept as they are (in the store, not in the file; nothing is ever deleted):")
            out += [f"  {k}" for k in self.kept]
        if self.settings:
            out.append("Settings the file asks for but the stage's environment sets (not applied; set them by hand):")
            out += [f"  {s}" for s in self.settings]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "city": self.city_code,
            "changes": [dataclasses.asdict(c) | {"details": list(c.details)} for c in self.changes],
            "kept": list(self.kept),
            "settings": list(self.settings),
            "nothing_to_change": self.empty,
        }


def _diff(pairs: Iterable[tuple[str, object, object]]) -> tuple[str, ...]:
    return tuple(f"{name}: {_show(old)} → {_show(new)}" for name, old, new in pairs if old != new)


def _show(value: object) -> str:
    return "none" if value is None else str(value)


def _keyword_diff(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    if not added and not removed:
        return ("keywords: reordered",) if old != new else ()
    words = [f"+{k}" for k in added] + [f"-{k}" for k in removed]
    return (f"keywords: {', '.join(words)}",)


def _activity(old_active: bool, new_active: bool) -> str:
    if old_active and not new_active:
        return "retire"
    if new_active and not old_active:
        return "reactivate"
    return "change"


def plan_city_file(ctx: Context, city: CityFile) -> Plan:
    """Compare the file with the stored directory of ``ctx``'s city. Raises CityFileError on a conflict."""
    if city.code != ctx.settings.city_code:
        raise CityFileError([f"city code: the file describes {city.code} but this stage serves "
                             f"{ctx.settings.city_code} (ADUAN_CITY_CODE)"])
    plan = Plan(city.code)
    stored_agencies = {a.agency_id: a for a in ctx.directory.agencies()}
    for agency in city.agencies:
        old = stored_agencies.get(agency.agency_id)
        if old is None:
            plan.changes.append(Change("agency", agency.agency_id, "add", (agency.name,)))
        elif old != agency:
            details = _diff([("name", old.name, agency.name), ("short_name", old.short_name, agency.short_name),
                             ("active", old.active, agency.active)])
            plan.changes.append(Change("agency", agency.agency_id, _activity(old.active, agency.active), details))
        group = city.line_groups.get(agency.agency_id)
        current = ctx.line_groups.group_of(agency.agency_id)
        if group and group != current:
            plan.changes.append(Change("line_group", agency.agency_id, "bind", _diff([("group", current, group)])))
        elif current and not group:
            plan.kept.append(f"LINE group of {agency.agency_id} ({current})")
    in_file = {a.agency_id for a in city.agencies}
    plan.kept += [f"agency {code}" for code in sorted(set(stored_agencies) - in_file)]

    stored_categories = {c.category_id: c for c in ctx.directory.categories()}
    for category in city.categories:
        old_c = stored_categories.get(category.category_id)
        if old_c is None:
            plan.changes.append(Change("category", category.category_id, "add", (f"→ {category.agency_id}",)))
        elif old_c != category:
            details = _diff([("name", old_c.name, category.name), ("opd", old_c.agency_id, category.agency_id),
                             ("tier", old_c.default_tier, category.default_tier),
                             ("active", old_c.active, category.active)])
            details += _keyword_diff(old_c.keywords, category.keywords)
            plan.changes.append(Change("category", category.category_id, _activity(old_c.active, category.active),
                                       details))
    listed = {c.category_id for c in city.categories}
    plan.kept += [f"category {cid}" for cid in sorted(set(stored_categories) - listed)]

    city_agencies = set(stored_agencies) | in_file
    conflicts: list[str] = []
    for entry in city.officers:
        old_o = ctx.directory.officer(entry.username)
        if old_o is None:
            plan.changes.append(Change("officer", entry.username, "add", (f"{entry.role.value} of {entry.agency_id}",
                                                                          "one-time initial password")))
            continue
        if old_o.agency_id not in city_agencies:
            conflicts.append(f"officer {entry.username}: the username belongs to an officer of another city's "
                             f"agency '{old_o.agency_id}'; choose another username")
            continue
        details = _diff([("name", old_o.display_name, entry.display_name), ("role", old_o.role.value, entry.role.value),
                         ("opd", old_o.agency_id, entry.agency_id), ("phone", old_o.phone, entry.phone),
                         ("email", old_o.email, entry.email), ("alerts", old_o.alert_channel, entry.alert_channel),
                         ("active", old_o.active, entry.active)])
        if details:
            plan.changes.append(Change("officer", entry.username, _activity(old_o.active, entry.active), details))
    if conflicts:
        raise CityFileError(conflicts)
    named = {o.username for o in city.officers}
    for code in sorted(stored_agencies):
        plan.kept += [f"officer {o.username}" for o in ctx.directory.officers_of(code) if o.username not in named]

    stored_days = ctx.directory.extra_days()
    for day, label in sorted(city.days_off.items()):
        if day not in stored_days:
            plan.changes.append(Change("day_off", day.isoformat(), "add", (label,)))
        elif stored_days[day] != label:
            details = _diff([("label", stored_days[day], label)])
            plan.changes.append(Change("day_off", day.isoformat(), "change", details))
    plan.kept += [f"day off {d.isoformat()} ({stored_days[d]})" for d in sorted(set(stored_days) - set(city.days_off))]
    levels = _service_levels_change(ctx, city)
    if levels is not None:
        plan.changes.append(levels)
    if city.name != ctx.settings.city_name:
        plan.settings.append(f"city name: file '{city.name}', stage '{ctx.settings.city_name}' — set ADUAN_CITY_NAME")
    return plan


def _stored_levels(city: CityFile) -> StoredCitySettings:
    """The settings item the file asks for: the whole of it (a key the file leaves out means its default)."""
    from chalicelib.store.directory import StoredCitySettings

    return StoredCitySettings(city.sla.to_mapping(), city.hold_limit_days, city.quiet_hours)


def _service_levels_change(ctx: Context, city: CityFile) -> Change | None:
    """One change when the file's service levels differ from what the city runs (its stored item, else the
    stage's defaults), or when a stored item differs from the file's (e.g. an invalid one the city ignores).
    Nothing when they match, so a stage that never stored any and runs the file's values stays as it is."""
    running, s = ctx.policy, ctx.settings
    pairs: list[tuple[str, object, object]] = [
        ("sla.verify_days", running.verify_days, city.sla.verify_days),
        *((f"sla.follow_up_days.{t.value}", running.follow_up_days[t], city.sla.follow_up_days[t]) for t in Tier),
        ("sla.auto_close_days", running.auto_close_days, city.sla.auto_close_days),
        ("sla.cap_days", running.finish_cap_days, city.sla.finish_cap_days),
        ("sla.cap_starts", running.cap_starts.value, city.sla.cap_starts.value),
        ("sla.hold_limit_days", s.max_hold_working_days, city.hold_limit_days),
        ("quiet_hours", s.quiet_hours, city.quiet_hours),
    ]
    details = _diff(pairs)
    stored = ctx.stored_service_levels()
    if not details and (stored is None or stored == _stored_levels(city)):
        return None
    return Change("service_levels", city.code, "add" if stored is None else "change",
                  details or ("stored values: rewritten as the file gives them",))


# --------------------------------------------------------------------------------------- apply
@dataclass
class ApplyResult:
    plan: Plan
    initial_passwords: dict[str, str]  # new officers only; shown once, stored only as a hash

    def lines(self) -> list[str]:
        out = ["Applied." if not self.plan.empty else "Nothing changed: the stored directory already matched the file."]
        out += self.plan.lines()
        if self.initial_passwords:
            out.append("One-time initial passwords (shown only now; each officer must change it at first sign-in):")
            out += [f"  {user}: {password}" for user, password in sorted(self.initial_passwords.items())]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {**self.plan.as_dict(), "applied": not self.plan.empty,
                "initial_passwords": dict(sorted(self.initial_passwords.items()))}


def initial_password() -> str:
    """16 characters from 56 (~93 bits): random, and easy to read out over the phone."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))


def apply_city_file(ctx: Context, city: CityFile, *,
                    new_password: Callable[[], str] = initial_password) -> ApplyResult:
    """Write what the plan says, nothing else: a second run with the same file plans and writes nothing."""
    from chalicelib.services.auth import forget_session_state, hash_password

    plan = plan_city_file(ctx, city)
    touched = {(c.kind, c.key) for c in plan.changes}
    directory = ctx.directory
    for agency in city.agencies:
        if ("agency", agency.agency_id) in touched:
            directory.put_agency(agency)
        if ("line_group", agency.agency_id) in touched:
            ctx.line_groups.bind(agency.agency_id, city.line_groups[agency.agency_id], "city-file", ctx.now())
    for category in city.categories:
        if ("category", category.category_id) in touched:
            directory.put_category(category)
    passwords: dict[str, str] = {}
    for entry in city.officers:
        if ("officer", entry.username) not in touched:
            continue
        found = directory.officer_with_password_hash(entry.username)
        if found is None:
            password = new_password()
            officer = Officer(entry.username, entry.display_name, entry.role, entry.agency_id, phone=entry.phone,
                              alert_channel=entry.alert_channel, email=entry.email, active=entry.active,
                              must_change_password=True)
            directory.put_officer(officer, hash_password(password))
            passwords[entry.username] = password
            continue
        old, password_hash = found
        updated = dataclasses.replace(old, display_name=entry.display_name, role=entry.role, agency_id=entry.agency_id,
                                      phone=entry.phone, email=entry.email, alert_channel=entry.alert_channel,
                                      active=entry.active)
        if (old.role, old.agency_id, old.active) != (updated.role, updated.agency_id, updated.active):
            # what the officer may see changed: their sessions and tokens end (the version only moves on)
            updated = dataclasses.replace(updated, session_version=old.session_version + 1)
            forget_session_state(entry.username)
        directory.put_officer(updated, password_hash)
    for day, label in city.days_off.items():
        if ("day_off", day.isoformat()) in touched:
            directory.put_extra_day(day, label)
    if ("service_levels", city.code) in touched:
        directory.put_city_settings(_stored_levels(city), by=AUDIT_ACTOR, at=ctx.now())
    ctx.forget_directory()
    for change in plan.changes:  # the admin's audit trail shows file applies beside page edits (no contact data)
        fields = ", ".join(d.split(":", 1)[0] for d in change.details if ":" in d)
        ctx.audit.record(AUDIT_KIND, AUDIT_ACTOR, ctx.now(), outcome=f"city-file {change.action}",
                         detail=f"{change.kind}:{change.key}" + (f"; {fields}" if fields else ""))
    return ApplyResult(plan, passwords)


# --------------------------------------------------------------------------------------- export
def export_city_file(ctx: Context) -> str:
    """The stored directory and the service levels the city runs, as a city file; importing it back plans no
    change."""
    import yaml

    s = ctx.settings
    agencies = sorted(ctx.directory.agencies(), key=lambda a: a.agency_id)
    officers = sorted((o for a in agencies for o in ctx.directory.officers_of(a.agency_id)), key=lambda o: o.username)
    policy = ctx.policy
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "city": {"code": s.city_code, "name": s.city_name},
        "agencies": [_agency_item(a, ctx.line_groups.group_of(a.agency_id)) for a in agencies],
        "categories": [_category_item(c) for c in sorted(ctx.directory.categories(), key=lambda c: c.category_id)],
        "officers": [_officer_item(o) for o in officers],
        "sla": {
            "verify_days": policy.verify_days,
            "follow_up_days": {t.value: d for t, d in policy.follow_up_days.items()},
            "auto_close_days": policy.auto_close_days,
            "cap_days": policy.finish_cap_days,
            "cap_starts": policy.cap_starts.value,
            "hold_limit_days": s.max_hold_working_days,
        },
        "quiet_hours": s.quiet_hours,
        "extra_days_off": [{"date": d, "label": label} for d, label in sorted(ctx.directory.extra_days().items())],
    }
    header = f"# Aduan city file, exported from the {s.stage} stage (format: docs/city-file.md)\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def _agency_item(agency: Agency, group: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": agency.agency_id, "name": agency.name, "short_name": agency.short_name}
    if group:
        item["line_group"] = group
    if not agency.active:
        item["active"] = False
    return item


def _category_item(category: Category) -> dict[str, Any]:
    item: dict[str, Any] = {"id": category.category_id, "name": category.name, "opd": category.agency_id,
                            "tier": category.default_tier, "keywords": list(category.keywords)}
    if not category.active:
        item["active"] = False
    return item


def _officer_item(officer: Officer) -> dict[str, Any]:
    item: dict[str, Any] = {"username": officer.username, "name": officer.display_name, "role": officer.role.value,
                            "opd": officer.agency_id}
    if officer.phone:
        item["phone"] = officer.phone
    if officer.email:
        item["email"] = officer.email
    if officer.alert_channel != "sms" or officer.phone:  # the default, and what an officer without a phone has
        item["alerts"] = officer.alert_channel
    if not officer.active:
        item["active"] = False
    return item


__all__ = [
    "ApplyResult",
    "CityFile",
    "CityFileError",
    "Plan",
    "apply_city_file",
    "export_city_file",
    "parse_city_file",
    "plan_city_file",
    "run_city_command",
]


ACTIONS = ("validate", "plan", "apply", "export")


def run_city_command(ctx: Context | None, action: str, text: str = "") -> dict[str, Any]:
    """One entry point for the CLI and the packaged Lambda: a JSON-ready answer, errors included.

    ``validate`` needs no store (ctx may be None); ``apply`` writes; ``export`` ignores ``text``."""
    if action not in ACTIONS:
        return {"ok": False, "errors": [f"unknown action '{action}' (expected one of: {', '.join(ACTIONS)})"]}
    if action == "export":
        assert ctx is not None
        return {"ok": True, "yaml": export_city_file(ctx)}
    try:
        city = parse_city_file(text)
        if action == "validate":
            return {"ok": True, "city": city.code, "agencies": len(city.agencies),
                    "categories": len(city.categories), "officers": len(city.officers),
                    "lines": [f"{city.code} ({city.name}): valid — {len(city.agencies)} agencies, "
                              f"{len(city.categories)} categories, {len(city.officers)} officers, "
                              f"{len(city.days_off)} extra days off"]}
        assert ctx is not None
        if action == "plan":
            plan = plan_city_file(ctx, city)
            return {"ok": True, **plan.as_dict(), "lines": plan.lines()}
        result = apply_city_file(ctx, city)
        return {"ok": True, **result.as_dict(), "lines": result.lines()}
    except CityFileError as error:
        return {"ok": False, "errors": error.errors}
