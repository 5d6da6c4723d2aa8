"""In-memory fakes of the case repository and the supporting-OPD rows, with the DynamoDB ones' contract.

Why it is built this way (contract: `tests/unit/store_contract/test_cases_contract.py` and
`test_agency_cases_contract.py`, run against both):
- an item is kept exactly as PynamoDB writes it (`to_record(case).serialize()`, `to_agency_record`), and read
  back with `from_raw_data` and the store's own `to_case` / `to_summary`: every derived field, index key and
  round trip is the store's, and every read returns fresh objects;
- each write checks the same condition the DynamoDB repository sends, under one lock (DynamoDB serialises
  the writes to an item; a background sync thread may write too);
- index reads are moto's Query (`_Index.query`: sort order, sparse keys, Limit, ScannedCount, projection,
  filters after the Limit, LastEvaluatedKey), and the inbox pages run the store's own `query_page` over it,
  so its Limit per request, doubling and read cap are the real ones, not a copy.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError, GetError, PutError, QueryError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path, Value
from pynamodb.models import Model

from chalicelib.domain.case import Case, Status
from chalicelib.domain.errors import VersionConflict
from chalicelib.store.agency_cases import AgencyCaseRepository, to_agency_record
from chalicelib.store.cases import (
    SYNC_SHARD,
    CaseIdTaken,
    InboxFilter,
    InboxPage,
    Page,
    query_page,
    to_case,
    to_record,
    to_summary,
)
from chalicelib.store.models import AgencyCaseRecord, CaseRecord
from tests.support.memory.items import Raw, require_key, validation_error

CONFLICT_MESSAGE = "Laporan ini baru saja diubah oleh petugas lain. Muat ulang lalu coba lagi."


# ---------------------------------------------------------------- DynamoDB's answers


def _scalar(value: dict[str, Any] | None) -> tuple[str, Any] | None:
    """A key or comparable attribute value as (type, Python value): numbers compare as numbers."""
    if not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return kind, Decimal(raw)
    if kind in ("S", "B"):
        return kind, raw
    return None


def _number(value: dict[str, Any] | None) -> Decimal | None:
    scalar = _scalar(value)
    return scalar[1] if scalar and scalar[0] == "N" else None


def _operand(operand: Any, item: Raw) -> tuple[str, Any] | None:
    if isinstance(operand, Path):
        return _scalar(item.get(".".join(operand.path)))
    if isinstance(operand, Value):
        return _scalar(operand.value)
    raise NotImplementedError(f"operand {operand!r}")


def holds(condition: Condition, item: Raw) -> bool:
    """Whether `item` satisfies a PynamoDB condition the repositories build (key conditions and filters:
    comparisons, BETWEEN, AND). As in DynamoDB, a missing attribute or a value of another type fails."""
    operator = condition.operator
    if operator == "AND":
        return all(holds(part, item) for part in condition.values)
    operands = [_operand(operand, item) for operand in condition.values]
    if any(o is None for o in operands) or len({o[0] for o in operands}) != 1:
        return False
    values = [o[1] for o in operands]
    if operator == "BETWEEN":
        return values[1] <= values[0] <= values[2]
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    }
    if operator not in compare:
        raise NotImplementedError(f"condition operator {operator}")
    return compare[operator](values[0], values[1])


class _Index:
    """One global secondary index over raw items, queried as moto answers a single Query request.

    Moto's rules, kept here because the contract test proves them on moto:
    - an item is in the index only if it has both index keys (sparse indexes);
    - order: the index range key, then the table's hash and range key (so equal `received_at` tie on
      `case_id`: ascending forward, descending backward); an ExclusiveStartKey resumes after its position;
    - `Limit` counts the items that match the key condition, before any filter; the filter is applied to the
      projected items after that, and ScannedCount counts what the Limit let through;
    - LastEvaluatedKey (table keys + index keys of the last item read) only when the Limit was reached and
      some item of the partition follows, even one outside the key condition's range. (DynamoDB proper
      returns it whenever the Limit is reached, even at the partition's end.)
    """

    def __init__(self, model: type[Model], index: Any) -> None:
        self.name: str = index.Meta.index_name
        self.hash_name: str = index._hash_key_attribute().attr_name
        self.range_name: str = next(a.attr_name for a in index.Meta.attributes.values() if a.is_range_key)
        table_keys = [model._hash_key_attribute().attr_name]
        if model._range_key_attribute() is not None:
            table_keys.append(model._range_key_attribute().attr_name)
        self.order = (self.range_name, *table_keys)
        self.key_names = tuple(dict.fromkeys((*table_keys, self.hash_name, self.range_name)))
        projection = index.Meta.projection
        if projection.projection_type == "ALL":
            self.projected: set[str] | None = None
        else:
            self.projected = set(self.key_names) | set(projection.non_key_attributes or ())

    def query(self, rows: Iterable[Raw], hash_value: str, key_condition: Condition | None = None,
              filter_condition: Condition | None = None, start_key: Raw | None = None, limit: int | None = None,
              forward: bool = True) -> dict[str, Any]:
        partition = [row for row in rows
                     if _scalar(row.get(self.hash_name)) == ("S", hash_value) and self.range_name in row]
        partition.sort(key=self._position, reverse=not forward)
        if start_key:
            resume = self._start_position(start_key, hash_value)
            partition = [row for row in partition if (self._position(row) > resume) == forward
                         and self._position(row) != resume]
        read: list[Raw] = []
        last_key = None
        for row in partition:
            if limit is not None and len(read) == limit:
                last_key = {name: read[-1][name] for name in self.key_names}
                break
            if key_condition is None or holds(key_condition, row):
                read.append(row)
        items = [self._project(row) for row in read]
        if filter_condition is not None:
            items = [item for item in items if holds(filter_condition, item)]
        response: dict[str, Any] = {"Items": copy.deepcopy(items), "Count": len(items), "ScannedCount": len(read)}
        if last_key is not None:
            response["LastEvaluatedKey"] = copy.deepcopy(last_key)
        return response

    def _position(self, row: Raw) -> tuple:
        return tuple(_scalar(row.get(name)) or ("", "") for name in self.order)

    def _start_position(self, start_key: Raw, hash_value: str) -> tuple:
        """Where an ExclusiveStartKey resumes. DynamoDB refuses a key that lacks a key attribute, has one of
        the wrong type or names another partition (moto does not check): the inbox turns that refusal into
        "Penanda halaman tidak sah"."""
        valid = isinstance(start_key, dict) and set(start_key) == set(self.key_names) and all(
            isinstance(value, dict) and _scalar(value) is not None and _scalar(value)[0] == "S"
            for value in start_key.values())
        if not valid or _scalar(start_key[self.hash_name]) != ("S", hash_value):
            raise validation_error(QueryError, "query", "The provided starting key is invalid")
        return self._position(start_key)

    def _project(self, row: Raw) -> Raw:
        if self.projected is None:
            return dict(row)
        return {name: value for name, value in row.items() if name in self.projected}


class _Connection:
    """The one `Connection.query` call `query_page` makes, answered by an `_Index` over the fake's rows."""

    def __init__(self, index: _Index, rows: Callable[[], list[Raw]]) -> None:
        self._index = index
        self._rows = rows

    def query(self, hash_key: str, range_key_condition: Condition | None = None,
              filter_condition: Condition | None = None, index_name: str | None = None,
              exclusive_start_key: Raw | None = None, limit: int | None = None,
              scan_index_forward: bool | None = None) -> dict[str, Any]:
        if index_name != self._index.name:
            raise NotImplementedError(f"query on {index_name!r}, not on {self._index.name!r}")
        return self._index.query(self._rows(), hash_key, range_key_condition, filter_condition,
                                 exclusive_start_key, limit, forward=scan_index_forward is not False)


class _ModelView:
    """The model as `query_page` sees it (attributes, keys, `from_raw_data`), with the in-memory connection."""

    def __init__(self, model: type[Model], connection: _Connection) -> None:
        self._model = model
        self._connection = connection

    def _get_connection(self) -> _Connection:
        return self._connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class _IndexView:
    """The index as `query_page` sees it: its keys and Meta, and a model bound to the in-memory connection."""

    def __init__(self, model: type[Model], index: Any, rows: Callable[[], list[Raw]]) -> None:
        self._index = index
        self._model = _ModelView(model, _Connection(_Index(model, index), rows))
        self.Meta = index.Meta

    def _hash_key_attribute(self) -> Any:
        return self._index._hash_key_attribute()


# ---------------------------------------------------------------- cases


class InMemoryCaseRepository:
    """`CaseRepository` in memory: the same methods, answers and conditional-write refusals."""

    def __init__(self) -> None:
        self.items: dict[str, Raw] = {}
        self._lock = threading.Lock()
        self._indexes = {name: _Index(CaseRecord, getattr(CaseRecord, name))
                         for name in ("open_by_due", "by_agency_status", "by_status", "by_reporter", "pending_sync")}
        self._inbox_views = {name: _IndexView(CaseRecord, getattr(CaseRecord, name), self._snapshot)
                             for name in ("by_status", "by_agency_status")}

    # ------------------------------------------------------------ reads
    def get(self, case_id: str, consistent: bool = True) -> Case | None:
        require_key(case_id, GetError, "get item")
        with self._lock:
            raw = copy.deepcopy(self.items.get(case_id))
        return to_case(CaseRecord.from_raw_data(raw)) if raw else None

    def get_many(self, case_ids: Iterable[str], consistent: bool = True) -> dict[str, Case]:
        ids = list(dict.fromkeys(case_ids))
        for case_id in ids:
            require_key(case_id, GetError, "batch get item")
        with self._lock:
            found = {case_id: copy.deepcopy(self.items[case_id]) for case_id in ids if case_id in self.items}
        return {case_id: to_case(CaseRecord.from_raw_data(raw)) for case_id, raw in found.items()}

    def list_by_agency_status(
        self, agency_id: str, status: Status, limit: int = 50, cursor: dict | None = None
    ) -> Page:
        return self._page("by_agency_status", f"{agency_id}#{status.value}", limit, cursor)

    def list_by_status(self, status: Status, limit: int = 50, cursor: dict | None = None) -> Page:
        return self._page("by_status", status.value, limit, cursor)

    def list_by_reporter(self, reporter_key: str, limit: int = 20) -> list[str]:
        if limit == 0:
            return []
        response = self._query("by_reporter", reporter_key, limit=limit, forward=False)
        return [item["case_id"]["S"] for item in response["Items"]]

    def alarms_due(self, shard: str, moment: datetime, limit: int = 500) -> Iterator[str]:
        """Cases whose alarm in `shard` is at or before `moment` (read when iterated, as the real one)."""
        if limit == 0:
            return
        response = self._query("open_by_due", shard, CaseRecord.due_at <= moment, limit=limit)
        for item in response["Items"]:
            yield item["case_id"]["S"]

    def ids_pending_sync(self, limit: int = 200) -> list[tuple[str, datetime]]:
        if limit == 0:
            return []
        response = self._query("pending_sync", SYNC_SHARD, limit=limit)
        return [(r.case_id, r.changed_at) for r in map(CaseRecord.from_raw_data, response["Items"])]

    def flagged_for_sync(self, case_ids: list[str]) -> list[str]:
        """Those of `case_ids` whose derived data still lags the case (a repeated id is repeated, as there)."""
        flagged: list[str] = []
        for start in range(0, len(case_ids), 100):
            chunk = case_ids[start : start + 100]
            for case_id in chunk:
                require_key(case_id, GetError, "batch get item")
            with self._lock:
                found = {case_id for case_id in chunk if "sync_shard" in self.items.get(case_id, {})}
            flagged.extend(case_id for case_id in chunk if case_id in found)
        return flagged

    def inbox_by_status(self, status: Status, spec: InboxFilter, page_size: int = 25, read_cap: int = 200,
                        start_key: dict | None = None) -> InboxPage:
        return query_page(self._inbox_views["by_status"], status.value, spec, page_size, read_cap, start_key)

    def inbox_by_agency_status(self, agency_id: str, status: Status, spec: InboxFilter, page_size: int = 25,
                               read_cap: int = 200, start_key: dict | None = None) -> InboxPage:
        return query_page(self._inbox_views["by_agency_status"], f"{agency_id}#{status.value}", spec, page_size,
                          read_cap, start_key)

    # ------------------------------------------------------------ writes
    def add(self, case: Case) -> None:
        """Put a new case (stored at version 1 whatever `case.version` says, as PynamoDB writes it)."""
        require_key(case.case_id, PutError, "put item")
        raw = to_record(case).serialize()
        raw["version"] = {"N": CaseRecord.version.serialize(1)}
        with self._lock:
            existing = self.items.get(case.case_id)
            if existing is None:
                self.items[case.case_id] = raw
                return
            source_key = existing.get("source_key", {}).get("S")
        raise CaseIdTaken(source_key)

    def save(self, case: Case) -> None:
        """Replace the case only if the stored version is `case.version - 1` (a missing case conflicts too)."""
        require_key(case.case_id, PutError, "put item")
        raw = to_record(case).serialize()
        expected = case.version - 1
        raw["version"] = {"N": CaseRecord.version.serialize(expected + 1)}
        with self._lock:
            stored = self.items.get(case.case_id)
            if stored is not None and _number(stored.get("version")) == expected:
                self.items[case.case_id] = raw
                return
        raise VersionConflict(CONFLICT_MESSAGE, case_id=case.case_id)

    def mark_synced(self, case_id: str, version: int) -> bool:
        """Clear the pending-sync flag and record `notified_seq` if the case is still at `version`; the
        version itself does not move."""
        require_key(case_id, UpdateError, "update item")
        with self._lock:
            stored = self.items.get(case_id)
            if stored is None or _number(stored.get("version")) != version:
                return False
            updated = {name: value for name, value in stored.items() if name != "sync_shard"}
            updated["notified_seq"] = {"N": CaseRecord.notified_seq.serialize(version)}
            self.items[case_id] = updated  # stored items are never changed in place: queries read them unlocked
            return True

    # ------------------------------------------------------------ test support
    def has_agency(self, agency_id: str) -> bool:
        """Whether any case, whatever its status, names `agency_id` as its lead OPD."""
        with self._lock:
            return any(_scalar(raw.get("lead_agency")) == ("S", agency_id) for raw in self.items.values())

    # ------------------------------------------------------------ internals
    def _snapshot(self) -> list[Raw]:
        with self._lock:
            return list(self.items.values())

    def _query(self, index: str, hash_value: str, key_condition: Condition | None = None, *, limit: int,
               cursor: dict | None = None, forward: bool = True) -> dict[str, Any]:
        return self._indexes[index].query(self._snapshot(), hash_value, key_condition, None, cursor or None, limit,
                                          forward)

    def _page(self, index: str, hash_value: str, limit: int, cursor: dict | None) -> Page:
        """One PynamoDB query with `limit`: one request of Limit `limit`, its LastEvaluatedKey as the cursor
        (with `limit` 0 PynamoDB sends nothing and hands the cursor back)."""
        if limit == 0:
            return Page(items=[], cursor=cursor)
        response = self._query(index, hash_value, limit=limit, cursor=cursor, forward=False)
        items = [to_summary(CaseRecord.from_raw_data(item)) for item in response["Items"]]
        return Page(items=items[:limit], cursor=response.get("LastEvaluatedKey"))


# ---------------------------------------------------------------- supporting-OPD rows


class InMemoryAgencyCaseRepository:
    """`AgencyCaseRepository` in memory: rows per (agency, case), written only by a version no older."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Raw] = {}
        self._lock = threading.Lock()
        self._inbox_view = _IndexView(AgencyCaseRecord, AgencyCaseRecord.by_agency_status, self._snapshot)

    # ------------------------------------------------------------ writes (the sync job)
    def put(self, agency_id: str, case: Case) -> bool:
        """Write the row of `agency_id` for `case`; False if a newer version of the case is already there."""
        for key in (agency_id, case.case_id):
            require_key(key, PutError, "put item")
        raw = to_agency_record(agency_id, case).serialize()
        with self._lock:
            stored = self.items.get((agency_id, case.case_id))
            if stored is not None and not _no_newer(stored, case.version):
                return False
            self.items[(agency_id, case.case_id)] = raw
            return True

    def remove(self, agency_id: str, case_id: str, version: int) -> bool:
        """Delete the row unless it was written from a newer version than `version`; False if nothing gone."""
        for key in (agency_id, case_id):
            require_key(key, DeleteError, "delete item")
        with self._lock:
            stored = self.items.get((agency_id, case_id))
            if stored is None or not _no_newer(stored, version):
                return False
            del self.items[(agency_id, case_id)]
            return True

    # the real one's own steps (which OPDs get a row, which lose it), over this fake's put and remove
    sync_supporting_rows = AgencyCaseRepository.sync_supporting_rows

    # ------------------------------------------------------------ reads (the inbox)
    def get(self, agency_id: str, case_id: str) -> AgencyCaseRecord | None:
        for key in (agency_id, case_id):
            require_key(key, GetError, "get item")
        with self._lock:
            raw = copy.deepcopy(self.items.get((agency_id, case_id)))
        return AgencyCaseRecord.from_raw_data(raw) if raw else None

    def inbox(self, agency_id: str, status: Status, spec: InboxFilter, page_size: int = 25, read_cap: int = 200,
              start_key: dict | None = None) -> InboxPage:
        return query_page(self._inbox_view, f"{agency_id}#{status.value}", spec, page_size, read_cap, start_key)

    # ------------------------------------------------------------ test support
    def has_agency(self, agency_id: str) -> bool:
        """Whether any row (any case, any status) belongs to `agency_id`."""
        with self._lock:
            return any(agency == agency_id for agency, _case_id in self.items)

    def _snapshot(self) -> list[Raw]:
        with self._lock:
            return list(self.items.values())


def _no_newer(stored: Raw, version: int) -> bool:
    """The rows' write condition: the stored row's case version is at most `version`."""
    stored_version = _number(stored.get("version"))
    return stored_version is not None and stored_version <= version
