"""One-time LINE link codes: issued to an officer, redeemed once by a message to the city's LINE account."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import LinkCodeRecord
from chalicelib.store.tables import bind_models


class LinkCodeRepository:
    def __init__(self) -> None:
        bind_models()

    def issue(self, code: str, username: str, expires_at: datetime) -> bool:
        return put_new(LinkCodeRecord(code, username=username, expires_at=expires_at, used=False))

    def issue_group(self, code: str, username: str, agency_id: str, expires_at: datetime) -> bool:
        """A code that binds the LINE group it is posted in to `agency_id` (one conditional put)."""
        return put_new(LinkCodeRecord(code, username=username, expires_at=expires_at, used=False, kind="group",
                                      agency_id=agency_id))

    def redeem_group(self, code: str, now: datetime) -> tuple[str, str] | None:
        """(agency_id, issuing username) if the group code is valid, unused and unexpired (then it is used up)."""
        try:
            data = LinkCodeRecord._get_connection().update_item(
                code,
                actions=[LinkCodeRecord.used.set(True)],
                condition=LinkCodeRecord.code.exists() & (LinkCodeRecord.used == False)  # noqa: E712
                & (LinkCodeRecord.expires_at > now) & (LinkCodeRecord.kind == "group"),
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return None
            raise
        record = LinkCodeRecord.from_raw_data(data["Attributes"])
        return record.agency_id, record.username

    def redeem(self, code: str, now: datetime) -> str | None:
        """The officer's username if the personal code is valid, unused and unexpired (then it is used up); a
        group code is refused here whatever its prefix."""
        try:
            data = LinkCodeRecord._get_connection().update_item(
                code,
                actions=[LinkCodeRecord.used.set(True)],
                condition=LinkCodeRecord.code.exists() & (LinkCodeRecord.used == False)  # noqa: E712
                & (LinkCodeRecord.expires_at > now)
                & (LinkCodeRecord.kind.does_not_exist() | (LinkCodeRecord.kind != "group")),  # never a group's
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return None
            raise
        return LinkCodeRecord.from_raw_data(data["Attributes"]).username
