"""The city's directory: agencies (OPD), categories, officers and extra non-working days.

Each list is one Query on the city's partition (never a Scan); the service layer caches them per process.
"""

from __future__ import annotations

from datetime import date

from chalicelib.domain.case import Role
from chalicelib.domain.officer import Officer
from chalicelib.domain.routing import Agency, Category
from chalicelib.store.models import AgencyRecord, CalendarDayRecord, CategoryRecord, OfficerRecord
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
        OfficerRecord(
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
        ).save()

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
