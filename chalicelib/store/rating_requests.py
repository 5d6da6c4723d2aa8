"""Which case a citizen was last asked to rate, per person and channel (one small item each).

A bare "1"-"5" is a rating only for the case that asked for it: the newest request sent to that person on
that channel. Requests are re-derived (the notification derivation can run again after a crash), so a write
never replaces a request made later than itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import RatingRequestRecord
from chalicelib.store.tables import bind_models

KEEP = timedelta(days=30)  # DynamoDB's TTL removes a request long after it stopped counting (14 days)


@dataclass(frozen=True)
class RatingRequest:
    reporter_key: str
    channel: str
    case_id: str
    requested_at: datetime


def _key(reporter_key: str, channel: str) -> str:
    return f"{reporter_key}#{channel}"


class RatingRequestRepository:
    def __init__(self) -> None:
        bind_models()

    def record(self, reporter_key: str, channel: str, case_id: str, at: datetime) -> bool:
        """Remember that `case_id` asked this person for a rating on `channel` at `at`; False when a later
        request is already recorded (that one stands)."""
        record = RatingRequestRecord(_key(reporter_key, channel), case_id=case_id, requested_at=at,
                                     expires_at=at + KEEP)
        try:
            record.save(condition=RatingRequestRecord.key.does_not_exist() | (RatingRequestRecord.requested_at <= at))
        except PutError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def pending(self, reporter_key: str, channel: str) -> RatingRequest | None:
        try:
            r = RatingRequestRecord.get(_key(reporter_key, channel), consistent_read=True)
        except RatingRequestRecord.DoesNotExist:
            return None
        return RatingRequest(reporter_key, channel, r.case_id, r.requested_at)

    def clear(self, reporter_key: str, channel: str, case_id: str) -> bool:
        """Forget the request once answered, unless another case has asked since."""
        try:
            RatingRequestRecord(_key(reporter_key, channel)).delete(condition=RatingRequestRecord.case_id == case_id)
        except DeleteError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

