"""The figures table: counters per (scope, period), and one ledger item per case.

Every write is a single-item conditional write (no transactions, as everywhere):
- `add_to_item` adds a change's deltas and its token in one update, only if the token is not there yet, so
  the same change applied twice (a retry, a second worker) adds once;
- `forget_token` removes the token once the case's ledger says the change is done;
- the ledger writes are conditioned on the version and the change's owner (see `services/figures.py`).
Counters are read and written below the PynamoDB model: they are not declared attributes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.operand import Path

from chalicelib.domain.figures import empty_item
from chalicelib.store.conditions import is_conditional_failure
from chalicelib.store.models import FigureRecord
from chalicelib.store.tables import bind_models

Key = tuple[str, str]  # (scope, period)
LEDGER_PERIOD = "ledger"
BATCH = 100  # BatchGetItem's limit
_NOT_COUNTERS = frozenset({"scope", "period", "tk"})


def ledger_scope(case_id: str) -> str:
    return f"case#{case_id}"


@dataclass(frozen=True)
class Contribution:
    """What a case's figures hold: the case version they reflect, the items and the counters it added."""

    version: int
    keys: tuple[Key, ...]
    counters: Mapping[str, int]

    def to_json(self) -> str:
        return json.dumps(
            {"version": self.version, "keys": [list(k) for k in self.keys], "counters": dict(self.counters)},
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> Contribution:
        if not text:
            return NOTHING
        data = json.loads(text)
        return cls(
            version=int(data["version"]),
            keys=tuple((str(s), str(p)) for s, p in data["keys"]),
            counters={str(k): int(v) for k, v in data["counters"].items()},
        )


NOTHING = Contribution(version=0, keys=(), counters={})


@dataclass(frozen=True)
class Change:
    """A case's figures moving from `before` to `after`; `token` names it in the items it touches."""

    token: str
    before: Contribution
    after: Contribution

    def to_json(self) -> str:
        return json.dumps({"token": self.token, "before": self.before.to_json(), "after": self.after.to_json()})

    @classmethod
    def from_json(cls, text: str) -> Change:
        data = json.loads(text)
        return cls(data["token"], Contribution.from_json(data["before"]), Contribution.from_json(data["after"]))


@dataclass(frozen=True)
class Ledger:
    case_id: str
    applied: Contribution
    change: Change | None = None
    phase: str | None = None  # apply | clean
    owner: str | None = None
    claimed_at: datetime | None = None


class FigureRepository:
    def __init__(self) -> None:
        bind_models()

    # ------------------------------------------------------------ items

    def read_items(self, keys: Iterable[Key]) -> dict[Key, dict[str, int]]:
        """The counters of every existing item among `keys` (missing items are left out): BatchGetItem,
        100 keys a request, unprocessed keys asked again."""
        wanted = list(dict.fromkeys(keys))
        connection = FigureRecord._get_connection()
        table = FigureRecord.Meta.table_name
        out: dict[Key, dict[str, int]] = {}
        for start in range(0, len(wanted), BATCH):
            chunk = [{"scope": s, "period": p} for s, p in wanted[start : start + BATCH]]
            tries = 0
            while chunk:
                result = connection.batch_get_item(chunk)
                for raw in result.get("Responses", {}).get(table, []):
                    out[(raw["scope"]["S"], raw["period"]["S"])] = _counters(raw)
                unprocessed = result.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
                chunk = [{"scope": k["scope"]["S"], "period": k["period"]["S"]} for k in unprocessed]
                tries += 1
                if chunk:
                    time.sleep(min(1.0, 0.05 * 2**tries))
        return out

    def add_to_item(self, key: Key, delta: Mapping[str, int], token: str) -> bool:
        """Add `delta` to the item's counters unless the change `token` already did; True if added now.

        A missing item is first created with its zero counters (`empty_item`), so every item of a period
        has the same size whatever its number of cases.
        """
        scope, period = key
        actions = [Path([name]).add(int(value)) for name, value in sorted(delta.items())]
        actions.append(Path(["tk"]).add({token}))
        condition = Path(["scope"]).exists() & ~Path(["tk"]).contains(token)
        connection = FigureRecord._get_connection()
        for attempt in (1, 2):
            try:
                connection.update_item(scope, period, actions=actions, condition=condition)
                return True
            except UpdateError as error:
                if not is_conditional_failure(error):
                    raise
            if attempt == 1:
                # The item is missing, or it holds the token already. Create it (a no-op if it exists, or if
                # another worker just created it) and try once more: a second refusal means the token is there.
                self._create(key)
        return False

    def forget_token(self, key: Key, token: str) -> None:
        remove_token = Path(["tk"]).delete({token})  # a set's DELETE action: the item stays
        FigureRecord._get_connection().update_item(key[0], key[1], actions=[remove_token])

    def put_item_counters(self, key: Key, counters: Mapping[str, int]) -> None:
        """Write a whole item (a rebuild from the cases): its zero counters with `counters` added."""
        full = empty_item(key[1])
        for name, value in counters.items():
            full[name] = full.get(name, 0) + int(value)
        attributes = {name: {"N": str(value)} for name, value in full.items()}
        FigureRecord._get_connection().put_item(key[0], key[1], attributes=attributes)

    @staticmethod
    def _create(key: Key) -> bool:
        attributes = {name: {"N": "0"} for name in empty_item(key[1])}
        try:
            FigureRecord._get_connection().put_item(
                key[0], key[1], attributes=attributes, condition=FigureRecord.scope.does_not_exist()
            )
        except PutError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    # ------------------------------------------------------------ ledgers

    def ledger(self, case_id: str) -> Ledger:
        try:
            record = FigureRecord.get(ledger_scope(case_id), LEDGER_PERIOD, consistent_read=True)
        except FigureRecord.DoesNotExist:
            return Ledger(case_id, NOTHING)
        return Ledger(
            case_id=case_id,
            applied=Contribution.from_json(record.applied),
            change=Change.from_json(record.pending) if record.pending else None,
            phase=record.phase,
            owner=record.owner,
            claimed_at=record.claimed_at,
        )

    def start_change(self, case_id: str, change: Change, owner: str, now: datetime) -> bool:
        """Record the change as in progress, if the ledger still holds `change.before` and no other change."""
        expected = change.before.version
        condition = FigureRecord.token.does_not_exist()
        if expected == 0:
            condition &= FigureRecord.applied_version.does_not_exist()
        else:
            condition &= FigureRecord.applied_version == expected
        actions = [
            FigureRecord.pending.set(change.to_json()),
            FigureRecord.token.set(change.token),
            FigureRecord.phase.set("apply"),
            FigureRecord.owner.set(owner),
            FigureRecord.claimed_at.set(now),
        ]
        return self._update(FigureRecord(ledger_scope(case_id), LEDGER_PERIOD), actions, condition)

    def take_over(self, case_id: str, token: str, old_owner: str | None, old_claim: datetime | None, owner: str,
                  now: datetime) -> bool:
        """Become the owner of a change whose owner's lease ran out (or who crashed)."""
        condition = FigureRecord.token == token
        condition &= FigureRecord.owner == old_owner if old_owner else FigureRecord.owner.does_not_exist()
        if old_claim is not None:
            condition &= FigureRecord.claimed_at == old_claim
        record = FigureRecord(ledger_scope(case_id), LEDGER_PERIOD)
        return self._update(
            record, [FigureRecord.owner.set(owner), FigureRecord.claimed_at.set(now)], condition
        )

    def commit_change(self, case_id: str, change: Change, owner: str) -> bool:
        """Every item has the change: the ledger now holds `change.after`; its tokens are still to clean."""
        record = FigureRecord(ledger_scope(case_id), LEDGER_PERIOD)
        condition = (FigureRecord.token == change.token) & (FigureRecord.owner == owner)
        condition &= FigureRecord.phase == "apply"
        return self._update(
            record,
            [
                FigureRecord.applied.set(change.after.to_json()),
                FigureRecord.applied_version.set(change.after.version),
                FigureRecord.phase.set("clean"),
            ],
            condition,
        )

    def finish_change(self, case_id: str, token: str) -> bool:
        record = FigureRecord(ledger_scope(case_id), LEDGER_PERIOD)
        condition = (FigureRecord.token == token) & (FigureRecord.phase == "clean")
        return self._update(
            record,
            [
                FigureRecord.pending.remove(),
                FigureRecord.token.remove(),
                FigureRecord.phase.remove(),
                FigureRecord.owner.remove(),
                FigureRecord.claimed_at.remove(),
            ],
            condition,
        )

    @staticmethod
    def _update(record: FigureRecord, actions: list, condition) -> bool:
        try:
            record.update(actions=actions, condition=condition)
        except UpdateError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True


def _counters(raw: Mapping[str, Mapping[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in raw.items():
        if name in _NOT_COUNTERS or "N" not in value:
            continue
        out[name] = int(Decimal(value["N"]))
    return out
