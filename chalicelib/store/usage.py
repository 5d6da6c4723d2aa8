"""Monthly message counts per channel (one item per channel and month, updated with ADD: no read first)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import ChannelUsageRecord
from chalicelib.store.tables import bind_models


class UsageRepository:
    def __init__(self) -> None:
        bind_models()

    def count(self, channel: str, month: str, kind: str) -> None:
        """One more message of `kind` ("push" or "reply") sent on `channel` in `month`."""
        attribute = ChannelUsageRecord.pushes if kind == "push" else ChannelUsageRecord.replies
        ChannelUsageRecord._get_connection().update_item(f"{channel}#{month}", actions=[attribute.add(1)])

    def counts(self, channel: str, month: str) -> tuple[int, int]:
        """(pushes, replies) sent on `channel` in `month`."""
        try:
            record = ChannelUsageRecord.get(f"{channel}#{month}")
        except ChannelUsageRecord.DoesNotExist:
            return 0, 0
        return int(record.pushes or 0), int(record.replies or 0)

    def warn_once(self, channel: str, month: str, at: datetime) -> bool:
        """True the first time it is asked for this channel and month (a conditional write), False after."""
        try:
            ChannelUsageRecord._get_connection().update_item(
                f"{channel}#{month}",
                actions=[ChannelUsageRecord.floor_warned_at.set(at)],
                condition=ChannelUsageRecord.floor_warned_at.does_not_exist(),
            )
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True
