"""The city directory and the officer accounts in memory, with the DynamoDB repositories' contract.

Items are kept as DynamoDB would hold them: each write builds the same PynamoDB record the real repository
saves (with the store's own mapping helpers) and keeps its serialized attributes; each read deserializes a
fresh record and maps it with the same code. So what a service reads back (an empty keyword list, the "-" of
"no kinds" or "no quiet hours", an absent `urgent_at_night`, a JSON-normalised SLA) is what DynamoDB gives,
and no caller can change the store through an object it was handed.

The officer items are one table behind two repositories (`DirectoryRepository` and `OfficerAccountRepository`
both update them), so the accounts fake works on the directory fake's items under the directory's lock.
`tests/unit/store_contract/test_directory_contract.py` and `test_officer_accounts_contract.py` run the same
tests against both implementations.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date, datetime

from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category
from chalicelib.store.directory import (
    NO_QUIET_HOURS,
    StoredCitySettings,
    _agency_record,
    _category_record,
    _kinds_text,
    _officer,
    _officer_record,
    to_city_settings,
)
from chalicelib.store.models import AgencyRecord, CalendarDayRecord, CategoryRecord, CitySettingsRecord, OfficerRecord
from tests.support.memory.items import Raw, conditional_failure, serialized


def _agency(item: Raw) -> Agency:
    r = AgencyRecord.from_raw_data(item)
    return Agency(agency_id=r.agency_id, name=r.name, short_name=r.short_name, active=bool(r.active))


def _category(item: Raw) -> Category:
    r = CategoryRecord.from_raw_data(item)
    return Category(category_id=r.category_id, name=r.name, agency_id=r.agency_id,
                    keywords=tuple(r.keywords or ()), default_tier=r.default_tier, active=bool(r.active))


def _days(items: dict[str, Raw]) -> dict[date, str]:
    """Date → label in range-key order (a Query returns the days sorted by their ISO text)."""
    return {date.fromisoformat(day): CalendarDayRecord.from_raw_data(items[day]).label for day in sorted(items)}


class InMemoryDirectoryRepository:
    """`chalicelib.store.directory.DirectoryRepository` in memory (one city's partition, every officer item)."""

    def __init__(self, city_code: str, has_cases: Callable[[str], bool] = lambda agency_id: False) -> None:
        self.city_code = city_code
        self.has_cases = has_cases  # the wiring points this at the case fakes (cases name agencies, not this)
        self.agency_items: dict[str, Raw] = {}  # agency_id → item
        self.category_items: dict[str, Raw] = {}  # category_id → item
        self.extra_day_items: dict[str, Raw] = {}  # ISO day → item (partition "<city>")
        self.withdrawn_day_items: dict[str, Raw] = {}  # ISO day → item (partition "<city>#ditarik")
        self.officer_items: dict[str, Raw] = {}  # username → item (the officers table has no city key)
        self.settings_item: Raw | None = None  # the city's settings item, `updated_by`/`updated_at` included
        self._lock = threading.Lock()  # one write at a time, as DynamoDB serialises writes to an item

    # ------------------------------------------------------------ agencies and categories
    def agencies(self) -> list[Agency]:
        with self._lock:
            return [_agency(self.agency_items[key]) for key in sorted(self.agency_items)]

    def categories(self) -> list[Category]:
        with self._lock:
            return [_category(self.category_items[key]) for key in sorted(self.category_items)]

    def put_agency(self, agency: Agency) -> None:
        item = serialized(_agency_record(self.city_code, agency))
        with self._lock:
            self.agency_items[agency.agency_id] = item

    def put_category(self, category: Category) -> None:
        item = serialized(_category_record(self.city_code, category))
        with self._lock:
            self.category_items[category.category_id] = item

    # ------------------------------------------------------------ calendar
    def extra_days(self) -> dict[date, str]:
        with self._lock:
            return _days(self.extra_day_items)

    def put_extra_day(self, day: date, label: str) -> None:
        item = serialized(CalendarDayRecord(self.city_code, day.isoformat(), label=label))
        with self._lock:
            self.extra_day_items[day.isoformat()] = item

    def delete_extra_day(self, day: date) -> None:
        with self._lock:
            self.extra_day_items.pop(day.isoformat(), None)

    # ------------------------------------------------------------ officers
    def officer_with_password_hash(self, username: str) -> tuple[Officer, str] | None:
        record = self._officer_item(username)
        if record is None:
            return None
        return _officer(record), record.password_hash

    def officer(self, username: str) -> Officer | None:
        """One officer (a deactivation or a new password shows at once, as the real consistent read)."""
        found = self.officer_with_password_hash(username)
        return found[0] if found else None

    def set_line_user(self, username: str, line_user_id: str) -> None:
        def change(r: OfficerRecord) -> None:
            r.line_user_id = line_user_id

        if self._change_officer(username, lambda r: r is not None, change) is None:
            raise conditional_failure(UpdateError, "UpdateItem")

    def officers_of(self, agency_id: str, role: Role | None = None) -> list[Officer]:
        prefix = f"{role.value}#" if role else ""
        with self._lock:
            records = [OfficerRecord.from_raw_data(item) for item in self.officer_items.values()]
        found = [r for r in records if r.agency_id == agency_id and r.role_username.startswith(prefix)]
        return [_officer(r) for r in sorted(found, key=lambda r: r.role_username)]  # the index's range key

    def put_officer(self, officer: Officer, password_hash: str) -> None:
        item = serialized(_officer_record(officer, password_hash))
        with self._lock:
            self.officer_items[officer.username] = item

    def set_alert_preferences(self, username: str, *, kinds: tuple[str, ...] | None, quiet_hours: str | None,
                              urgent_at_night: bool, personal_with_group: bool) -> None:
        """An officer's alert preferences; a missing officer raises the lost condition, as DynamoDB does."""
        def change(r: OfficerRecord) -> None:
            r.alert_kinds = _kinds_text(kinds)  # None removes the attribute, as the real REMOVE
            r.quiet_hours = quiet_hours
            r.urgent_at_night = bool(urgent_at_night)
            r.personal_with_group = bool(personal_with_group)

        if self._change_officer(username, lambda r: r is not None, change) is None:
            raise conditional_failure(UpdateError, "UpdateItem")

    # ------------------------------------------------------------ admin edits (services/directory_admin.py)
    def agency(self, agency_id: str) -> Agency | None:
        with self._lock:
            item = self.agency_items.get(agency_id)
            return None if item is None else _agency(item)

    def category(self, category_id: str) -> Category | None:
        with self._lock:
            item = self.category_items.get(category_id)
            return None if item is None else _category(item)

    def add_agency(self, agency: Agency) -> bool:
        """Create the agency; False if its code is taken."""
        return self._save_if(self.agency_items, agency.agency_id, _agency_record(self.city_code, agency),
                             exists=False)

    def replace_agency(self, agency: Agency) -> bool:
        """Overwrite an existing agency; False if it no longer exists (never resurrects a deleted one)."""
        return self._save_if(self.agency_items, agency.agency_id, _agency_record(self.city_code, agency),
                             exists=True)

    def add_category(self, category: Category) -> bool:
        return self._save_if(self.category_items, category.category_id,
                             _category_record(self.city_code, category), exists=False)

    def replace_category(self, category: Category) -> bool:
        return self._save_if(self.category_items, category.category_id,
                             _category_record(self.city_code, category), exists=True)

    def delete_agency(self, agency_id: str) -> bool:
        """Delete the agency; False if it was not there."""
        with self._lock:
            return self.agency_items.pop(agency_id, None) is not None

    def agency_has_cases(self, agency_id: str) -> bool:
        """Whether any case names the agency, as lead or supporting OPD: answered by the case fakes."""
        return bool(self.has_cases(agency_id))

    # ------------------------------------------------------------ withdrawn national days (services/calendar_admin.py)
    def withdrawn_days(self) -> dict[date, str]:
        with self._lock:
            return _days(self.withdrawn_day_items)

    def put_withdrawn_day(self, day: date, reason: str) -> None:
        item = serialized(CalendarDayRecord(f"{self.city_code}#ditarik", day.isoformat(), label=reason))
        with self._lock:
            self.withdrawn_day_items[day.isoformat()] = item

    def delete_withdrawn_day(self, day: date) -> None:
        with self._lock:
            self.withdrawn_day_items.pop(day.isoformat(), None)

    # ------------------------------------------------------------ officer administration
    def create_officer(self, officer: Officer, password_hash: str) -> bool:
        """Put a new officer only if no item has the username; False if it is taken."""
        item = serialized(_officer_record(officer, password_hash))
        with self._lock:
            if officer.username in self.officer_items:
                return False
            self.officer_items[officer.username] = item
            return True

    def update_officer_profile(self, username: str, *, expected_role: Role, expected_agency: str,
                               display_name: str, role: Role, agency_id: str, phone: str | None,
                               email: str | None, end_sessions: bool) -> bool:
        """Name, role, OPD, phone and e-mail, only while the role and OPD are still the ones the caller read."""
        def still_as_read(r: OfficerRecord | None) -> bool:
            return r is not None and r.role == expected_role.value and r.agency_id == expected_agency

        def change(r: OfficerRecord) -> None:
            r.display_name = display_name
            r.role = role.value
            r.agency_id = agency_id
            r.role_username = f"{role.value}#{username}"
            r.phone = phone or None  # an empty text removes it, as the real update does
            r.email = email or None
            if end_sessions:
                r.session_version = int(r.session_version or 0) + 1

        return self._change_officer(username, still_as_read, change) is not None

    # ------------------------------------------------------------ service levels
    def city_settings(self) -> StoredCitySettings | None:
        """The city's settings as stored (raw, like the real one: the context validates them)."""
        with self._lock:
            if self.settings_item is None:
                return None
            r = CitySettingsRecord.from_raw_data(self.settings_item)
        return to_city_settings(r)

    def put_city_settings(self, settings: StoredCitySettings, *, by: str, at: datetime) -> None:
        """Replace the whole settings item, with who set it and when (kept in the item, not returned)."""
        item = serialized(CitySettingsRecord(
            self.city_code,
            sla=None if settings.sla is None else json.dumps(settings.sla, sort_keys=True),
            hold_limit_days=settings.hold_limit_days,
            quiet_hours=None if settings.quiet_hours is None else (settings.quiet_hours or NO_QUIET_HOURS),
            updated_at=at,
            updated_by=by,
        ))
        with self._lock:
            self.settings_item = item

    # ------------------------------------------------------------ one item at a time
    def _save_if(self, items: dict[str, Raw], key: str, record: Model, *, exists: bool) -> bool:
        item = serialized(record)
        with self._lock:
            if (key in items) != exists:
                return False
            items[key] = item
            return True

    def _officer_item(self, username: str) -> OfficerRecord | None:
        """A fresh record of the officer's item (None if there is none)."""
        with self._lock:
            item = self.officer_items.get(username)
            return None if item is None else OfficerRecord.from_raw_data(item)

    def _change_officer(self, username: str, condition: Callable[[OfficerRecord | None], bool],
                        change: Callable[[OfficerRecord], None]) -> OfficerRecord | None:
        """One conditional update of an officer item: the record as written, or None if the condition failed
        (every caller's condition needs the item, so an update never creates one, as in DynamoDB)."""
        with self._lock:
            item = self.officer_items.get(username)
            record = None if item is None else OfficerRecord.from_raw_data(item)
            if record is None or not condition(record):
                return None
            change(record)
            self.officer_items[username] = serialized(record)
            return record


class InMemoryOfficerAccountRepository:
    """`chalicelib.store.sessions.OfficerAccountRepository` on the directory fake's officer items."""

    def __init__(self, directory: InMemoryDirectoryRepository) -> None:
        self.directory = directory

    def session_state(self, username: str) -> tuple[bool, int] | None:
        """(active, session_version) of an officer; None if there is no such officer."""
        r = self.directory._officer_item(username)
        return None if r is None else (bool(r.active), int(r.session_version or 0))

    def must_change_password(self, username: str) -> bool:
        r = self.directory._officer_item(username)
        return False if r is None else bool(r.must_change_password)

    def set_password(self, username: str, password_hash: str, must_change: bool = False) -> int:
        """Store a new hash and end every session; the new session version (a missing officer raises)."""
        def change(r: OfficerRecord) -> None:
            r.password_hash = password_hash
            r.must_change_password = must_change
            r.session_version = int(r.session_version or 0) + 1

        written = self.directory._change_officer(username, lambda r: r is not None, change)
        if written is None:
            raise conditional_failure(UpdateError, "UpdateItem")
        return int(written.session_version)

    def end_sessions(self, username: str) -> None:
        def change(r: OfficerRecord) -> None:
            r.session_version = int(r.session_version or 0) + 1

        if self.directory._change_officer(username, lambda r: r is not None, change) is None:
            raise conditional_failure(UpdateError, "UpdateItem")

    def upgrade_password_hash(self, username: str, expected: str, new_hash: str) -> bool:
        """Replace the hash only if it is still `expected`; sessions stay valid."""
        def change(r: OfficerRecord) -> None:
            r.password_hash = new_hash

        return self.directory._change_officer(
            username, lambda r: r is not None and r.password_hash == expected, change) is not None

    def set_active(self, username: str, active: bool) -> bool:
        """Activate or deactivate (either ends every session); False if no such officer."""
        def change(r: OfficerRecord) -> None:
            r.active = active
            r.session_version = int(r.session_version or 0) + 1

        return self.directory._change_officer(username, lambda r: r is not None, change) is not None

    def set_alert_channel(self, username: str, channel: str, email: str | None = None) -> None:
        """The channel, and the e-mail address when given ("" removes it); a missing officer raises."""
        def change(r: OfficerRecord) -> None:
            r.alert_channel = channel
            if email is not None:
                r.email = email or None

        if self.directory._change_officer(username, lambda r: r is not None, change) is None:
            raise conditional_failure(UpdateError, "UpdateItem")
