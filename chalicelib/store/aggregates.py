"""Dashboard aggregates: one item per (scope, month of receipt), a map of case id -> small summary.

Writing a case's entry is a single-item update of one map key, so re-running a sync is harmless and the
order of syncs does not matter (each writes the case's latest state).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path

from chalicelib.store.conditions import is_conditional_failure, put_new
from chalicelib.store.models import AggregateRecord
from chalicelib.store.tables import bind_models

CITY_SCOPE = "city"


def agency_scope(agency_id: str) -> str:
    return f"agency:{agency_id}"


class AggregateRepository:
    def __init__(self) -> None:
        bind_models()

    def put_case(self, scope: str, month: str, case_id: str, entry: dict) -> None:
        """Set one case's entry. Below `Model.update`, which asks for the whole item back: a month's item
        holds every case of the month, and the sync writes it for each case it touches."""
        connection = AggregateRecord._get_connection()
        action = Path(["cases", case_id]).set(entry)
        try:
            connection.update_item(scope, month, actions=[action])
        except UpdateError as error:
            if "document path" not in str(error):
                raise
            self._create(scope, month)
            connection.update_item(scope, month, actions=[action])

    def remove_case(self, scope: str, month: str, case_id: str) -> None:
        try:
            AggregateRecord._get_connection().update_item(
                scope, month, actions=[Path(["cases", case_id]).remove()], condition=AggregateRecord.scope.exists()
            )
        except UpdateError as error:
            if not is_conditional_failure(error):
                raise  # a missing item has nothing to remove

    def read(self, scope: str, months: Iterable[str]) -> dict[str, dict]:
        """Entries of every case of `scope` received in `months` (one batch read)."""
        entries: dict[str, dict] = {}
        keys = [(scope, m) for m in months]
        for record in AggregateRecord.batch_get(keys):
            entries.update(record.cases.as_dict() if record.cases else {})
        return entries

    @staticmethod
    def _create(scope: str, month: str) -> None:
        put_new(AggregateRecord(scope, month, cases={}))  # False: a concurrent sync created it first
