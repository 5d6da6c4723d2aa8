"""The city's directory: agencies (OPD), categories, officers, extra non-working days and service levels.

Each list is one Query on the city's partition (never a Scan); the service layer caches them per process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category
from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import (
    AgencyRecord,
    CalendarDayRecord,
    CategoryRecord,
    CitySettingsRecord,
    OfficerRecord,
)
from chalicelib.store.tables import bind_models


class DirectoryRepository:
    def __init__(self, city_code: str) -> None:
        bind_models()
        self.city_code = city_code

    # ------------------------------------------------------------ agencies and categories
    def agencies(self) -> list[Agency]:
        return [
            Agency(agency_id=r.agency_id, name=r.name, short_name=r.short_name, active=bool(r.active))
            for r in AgencyRecord.query(self.city_code)
        ]

    def categories(self) -> list[Category]:
        return [
            Category(
                category_id=r.category_id,
                name=r.name,
                agency_id=r.agency_id,
                keywords=tuple(r.keywords or ()),
                default_tier=r.default_tier,
                active=bool(r.active),
            )
            for r in CategoryRecord.query(self.city_code)
        ]

    def put_agency(self, agency: Agency) -> None:
        AgencyRecord(
            self.city_code,
            agency.agency_id,
            name=agency.name,
            short_name=agency.short_name,
            active=agency.active,
        ).save()

    def put_category(self, category: Category) -> None:
        CategoryRecord(
            self.city_code,
            category.category_id,
            name=category.name,
            agency_id=category.agency_id,
            keywords=list(category.keywords) or None,
            default_tier=category.default_tier,
            active=category.active,
        ).save()

    # ------------------------------------------------------------ calendar
    def extra_days(self) -> dict[date, str]:
        return {date.fromisoformat(r.day): r.label for r in CalendarDayRecord.query(self.city_code)}

    def put_extra_day(self, day: date, label: str) -> None:
        CalendarDayRecord(self.city_code, day.isoformat(), label=label).save()

    def delete_extra_day(self, day: date) -> None:
        CalendarDayRecord(self.city_code, day.isoformat()).delete()

    # ------------------------------------------------------------ officers
    def officer_with_password_hash(self, username: str) -> tuple[Officer, str] | None:
        try:
            record = OfficerRecord.get(username, consistent_read=True)
        except OfficerRecord.DoesNotExist:
            return None
        return _officer(record), record.password_hash

    def officer(self, username: str) -> Officer | None:
        """One officer, read consistently (a deactivation or a new password shows at once)."""
        found = self.officer_with_password_hash(username)
        return found[0] if found else None

    def set_line_user(self, username: str, line_user_id: str) -> None:
        OfficerRecord._get_connection().update_item(
            username,
            actions=[OfficerRecord.line_user_id.set(line_user_id)],
            condition=OfficerRecord.username.exists(),
        )

    def officers_of(self, agency_id: str, role: Role | None = None) -> list[Officer]:
        condition = OfficerRecord.role_username.startswith(f"{role.value}#") if role else None
        return [_officer(r) for r in OfficerRecord.by_agency.query(agency_id, condition)]

    def put_officer(self, officer: Officer, password_hash: str) -> None:
        _officer_record(officer, password_hash).save()

    def set_alert_preferences(self, username: str, *, kinds: tuple[str, ...] | None, quiet_hours: str | None,
                              urgent_at_night: bool, personal_with_group: bool) -> None:
        """An officer's alert preferences (one conditional update of their item)."""
        OfficerRecord._get_connection().update_item(
            username,
            actions=[
                OfficerRecord.alert_kinds.set(_kinds_text(kinds)) if kinds is not None
                else OfficerRecord.alert_kinds.remove(),
                OfficerRecord.quiet_hours.set(quiet_hours) if quiet_hours is not None
                else OfficerRecord.quiet_hours.remove(),
                OfficerRecord.urgent_at_night.set(bool(urgent_at_night)),
                OfficerRecord.personal_with_group.set(bool(personal_with_group)),
            ],
            condition=OfficerRecord.username.exists(),
        )

    # ------------------------------------------------------------ admin edits (services/directory_admin.py)
    def agency(self, agency_id: str) -> Agency | None:
        """One agency, read consistently (an admin's edit shows at once)."""
        try:
            r = AgencyRecord.get(self.city_code, agency_id, consistent_read=True)
        except AgencyRecord.DoesNotExist:
            return None
        return Agency(agency_id=r.agency_id, name=r.name, short_name=r.short_name, active=bool(r.active))

    def category(self, category_id: str) -> Category | None:
        """One category, read consistently."""
        try:
            r = CategoryRecord.get(self.city_code, category_id, consistent_read=True)
        except CategoryRecord.DoesNotExist:
            return None
        return Category(category_id=r.category_id, name=r.name, agency_id=r.agency_id,
                        keywords=tuple(r.keywords or ()), default_tier=r.default_tier, active=bool(r.active))

    def add_agency(self, agency: Agency) -> bool:
        """Create the agency; False if its code is taken (one conditional put)."""
        return self._save_if(_agency_record(self.city_code, agency), exists=False)

    def replace_agency(self, agency: Agency) -> bool:
        """Overwrite an existing agency; False if it no longer exists (never resurrects a deleted one)."""
        return self._save_if(_agency_record(self.city_code, agency), exists=True)

    def add_category(self, category: Category) -> bool:
        return self._save_if(_category_record(self.city_code, category), exists=False)

    def replace_category(self, category: Category) -> bool:
        return self._save_if(_category_record(self.city_code, category), exists=True)

    def delete_agency(self, agency_id: str) -> bool:
        """Delete the agency; False if it was not there."""
        from pynamodb.exceptions import DeleteError

        from chalicelib.store.conditions import is_conditional_failure

        try:
            AgencyRecord(self.city_code, agency_id).delete(condition=AgencyRecord.agency_id.exists())
        except DeleteError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def agency_has_cases(self, agency_id: str) -> bool:
        """Whether any case, open or closed, names the agency as lead (cases' `by_agency_status`) or as a
        supporting OPD (`agency_cases`): one Query with Limit 1 per status and index, never a Scan."""
        from chalicelib.domain.case import Status
        from chalicelib.store.models import AgencyCaseRecord, CaseRecord

        for status in Status:
            key = f"{agency_id}#{status.value}"
            for index in (CaseRecord.by_agency_status, AgencyCaseRecord.by_agency_status):
                if next(iter(index.query(key, limit=1)), None) is not None:
                    return True
        return False

    @staticmethod
    def _save_if(record: AgencyRecord | CategoryRecord, *, exists: bool) -> bool:
        from pynamodb.exceptions import PutError

        from chalicelib.store.conditions import is_conditional_failure

        range_key = record._range_key_attribute()
        try:
            record.save(condition=range_key.exists() if exists else range_key.does_not_exist())
        except PutError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    # ------------------------------------------------------------ withdrawn national days (services/calendar_admin.py)
    # A national holiday or cuti bersama the government cancelled lives in the calendar-days table too, in its own
    # partition "<city>#ditarik" (label = the reason): `extra_days()` never sees it; no new attribute or index.
    def withdrawn_days(self) -> dict[date, str]:
        """The city's withdrawn national days (date → reason): one Query on their partition."""
        return {date.fromisoformat(r.day): r.label for r in CalendarDayRecord.query(f"{self.city_code}#ditarik")}

    def put_withdrawn_day(self, day: date, reason: str) -> None:
        CalendarDayRecord(f"{self.city_code}#ditarik", day.isoformat(), label=reason).save()

    def delete_withdrawn_day(self, day: date) -> None:
        CalendarDayRecord(f"{self.city_code}#ditarik", day.isoformat()).delete()

    # ------------------------------------------------------------ officer administration (issue 11)
    def create_officer(self, officer: Officer, password_hash: str) -> bool:
        """Put a new officer only if no item has the username (one conditional put); False if it is taken."""
        return put_new(_officer_record(officer, password_hash))

    def update_officer_profile(self, username: str, *, expected_role: Role, expected_agency: str,
                               display_name: str, role: Role, agency_id: str, phone: str | None,
                               email: str | None, end_sessions: bool) -> bool:
        """Name, role, OPD, phone and e-mail of an officer in one conditional update.

        The condition is the role and OPD the caller read (its permission and last-admin checks relied on them):
        a concurrent change makes this return False instead of being overwritten. `end_sessions` moves the
        session version on (an API token carries the role and OPD, so it must not outlive a change of them)."""
        actions = [
            OfficerRecord.display_name.set(display_name),
            OfficerRecord.role.set(role.value),
            OfficerRecord.agency_id.set(agency_id),
            OfficerRecord.role_username.set(f"{role.value}#{username}"),
            OfficerRecord.phone.set(phone) if phone else OfficerRecord.phone.remove(),
            OfficerRecord.email.set(email) if email else OfficerRecord.email.remove(),
        ]
        if end_sessions:
            actions.append(OfficerRecord.session_version.add(1))
        try:
            OfficerRecord._get_connection().update_item(
                username,
                actions=actions,
                condition=OfficerRecord.username.exists() & (OfficerRecord.role == expected_role.value)
                & (OfficerRecord.agency_id == expected_agency),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    # ------------------------------------------------------------ service levels (issue 11; services/context.py)
    def city_settings(self) -> StoredCitySettings | None:
        """The city's settings item (one GetItem), or None when the city never stored any.

        Returned raw: the context validates it, so a bad item is logged and ignored instead of stopping the app
        (an `sla` text that is not JSON comes back as that text, which the validation then refuses)."""
        try:
            r = CitySettingsRecord.get(self.city_code, consistent_read=True)
        except CitySettingsRecord.DoesNotExist:
            return None
        return to_city_settings(r)

    def put_city_settings(self, settings: StoredCitySettings, *, by: str, at: datetime) -> None:
        """Replace the city's settings item: one unconditional put (the whole item is the city file's to set)."""
        CitySettingsRecord(
            self.city_code,
            sla=None if settings.sla is None else json.dumps(settings.sla, sort_keys=True),
            hold_limit_days=settings.hold_limit_days,
            quiet_hours=None if settings.quiet_hours is None else (settings.quiet_hours or NO_QUIET_HOURS),
            updated_at=at,
            updated_by=by,
        ).save()


def _officer_record(officer: Officer, password_hash: str) -> OfficerRecord:
    return OfficerRecord(
        officer.username,
        display_name=officer.display_name,
        role=officer.role.value,
        agency_id=officer.agency_id,
        role_username=f"{officer.role.value}#{officer.username}",
        password_hash=password_hash,
        phone=officer.phone,
        line_user_id=officer.line_user_id,
        alert_channel=officer.alert_channel,
        email=officer.email,
        active=officer.active,
        session_version=officer.session_version,
        must_change_password=officer.must_change_password,
        alert_kinds=_kinds_text(officer.alert_kinds),
        quiet_hours=officer.quiet_hours,
        urgent_at_night=None if officer.urgent_at_night else False,
        personal_with_group=True if officer.personal_with_group else None,
    )


def _agency_record(city_code: str, agency: Agency) -> AgencyRecord:
    return AgencyRecord(city_code, agency.agency_id, name=agency.name, short_name=agency.short_name,
                        active=agency.active)


def _category_record(city_code: str, category: Category) -> CategoryRecord:
    return CategoryRecord(city_code, category.category_id, name=category.name, agency_id=category.agency_id,
                          keywords=list(category.keywords) or None, default_tier=category.default_tier,
                          active=category.active)


def _officer(record: OfficerRecord) -> Officer:
    return Officer(
        username=record.username,
        display_name=record.display_name,
        role=Role(record.role),
        agency_id=record.agency_id,
        phone=record.phone,
        line_user_id=record.line_user_id,
        alert_channel=record.alert_channel,
        email=record.email,
        active=bool(record.active),
        session_version=int(record.session_version or 0),
        must_change_password=bool(record.must_change_password),
        alert_kinds=_kinds(record.alert_kinds),
        quiet_hours=record.quiet_hours,
        urgent_at_night=record.urgent_at_night is not False,
        personal_with_group=bool(record.personal_with_group),
    )


NO_KINDS = "-"  # stored when the officer switched every optional kind off (an empty text reads as absent)


def _kinds(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(k for k in text.split(",") if k and k != NO_KINDS)


def _kinds_text(kinds: tuple[str, ...] | None) -> str | None:
    if kinds is None:
        return None
    return ",".join(sorted(set(kinds))) or NO_KINDS



# ------------------------------------------------------------ service levels (issue 11)
NO_QUIET_HOURS = "-"  # stored for "no quiet hours" (an empty text would read as absent)


@dataclass(frozen=True)
class StoredCitySettings:
    """A city's stored service levels as stored: `sla` is `SlaPolicy.to_mapping()`; None keeps the default."""

    sla: Mapping[str, object] | None = None
    hold_limit_days: int | None = None
    quiet_hours: str | None = None  # "" means none


def to_city_settings(r: CitySettingsRecord) -> StoredCitySettings:
    """The stored item as the context reads it (an `sla` that is not JSON comes back as its text, which the
    context's validation then refuses)."""
    sla: object = None
    if r.sla is not None:
        try:
            sla = json.loads(r.sla)
        except ValueError:
            sla = r.sla
    quiet = None if r.quiet_hours is None else ("" if r.quiet_hours == NO_QUIET_HOURS else r.quiet_hours)
    hold = None if r.hold_limit_days is None else r.hold_limit_days
    return StoredCitySettings(sla, hold, quiet)  # type: ignore[arg-type]  # validated by the context
