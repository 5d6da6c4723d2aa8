"""An in-memory figures repository with the DynamoDB one's conditional-write contract.

The unit tests of features that only sync cases along the way run on it (moto takes ~30 ms a request,
and a case change is ~27 figures writes); `tests/unit/store_contract/test_figures_contract.py` runs the same
contract against both, and the figures' own tests use the DynamoDB repository on moto.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime

from chalicelib.domain.figures import empty_item
from chalicelib.store.figures import NOTHING, Change, Contribution, Key, Ledger


class InMemoryFigureRepository:
    def __init__(self) -> None:
        self.items: dict[Key, dict[str, int]] = {}
        self.tokens: dict[Key, set[str]] = {}
        self.ledgers: dict[str, dict] = {}
        self._lock = threading.Lock()  # one item write at a time, as DynamoDB serialises writes to an item

    # ------------------------------------------------------------ items

    def read_items(self, keys: Iterable[Key]) -> dict[Key, dict[str, int]]:
        with self._lock:
            return {key: dict(self.items[key]) for key in dict.fromkeys(keys) if key in self.items}

    def add_to_item(self, key: Key, delta: Mapping[str, int], token: str) -> bool:
        with self._lock:
            if token in self.tokens.get(key, set()):
                return False
            item = self.items.setdefault(key, empty_item(key[1]))
            for name, value in delta.items():
                item[name] = item.get(name, 0) + int(value)
            self.tokens.setdefault(key, set()).add(token)
            return True

    def forget_token(self, key: Key, token: str) -> None:
        with self._lock:
            self.tokens.get(key, set()).discard(token)

    def put_item_counters(self, key: Key, counters: Mapping[str, int]) -> None:
        with self._lock:
            full = empty_item(key[1])
            for name, value in counters.items():
                full[name] = full.get(name, 0) + int(value)
            self.items[key] = full
            self.tokens.pop(key, None)

    def tokens_left(self) -> dict[Key, set[str]]:
        return {key: set(tokens) for key, tokens in self.tokens.items() if tokens}

    # ------------------------------------------------------------ ledgers

    def ledger(self, case_id: str) -> Ledger:
        with self._lock:
            raw = self.ledgers.get(case_id)
            if raw is None:
                return Ledger(case_id, NOTHING)
            return Ledger(
                case_id=case_id,
                applied=Contribution.from_json(raw.get("applied")),
                change=Change.from_json(raw["pending"]) if raw.get("pending") else None,
                phase=raw.get("phase"),
                owner=raw.get("owner"),
                claimed_at=raw.get("claimed_at"),
            )

    def start_change(self, case_id: str, change: Change, owner: str, now: datetime) -> bool:
        with self._lock:
            raw = self.ledgers.setdefault(case_id, {})
            if raw.get("token") is not None or raw.get("applied_version", 0) != change.before.version:
                return False
            raw.update(pending=change.to_json(), token=change.token, phase="apply", owner=owner, claimed_at=now)
            return True

    def take_over(self, case_id: str, token: str, old_owner: str | None, old_claim: datetime | None, owner: str,
                  now: datetime) -> bool:
        with self._lock:
            raw = self.ledgers.get(case_id, {})
            if raw.get("token") != token or raw.get("owner") != old_owner:
                return False
            if old_claim is not None and raw.get("claimed_at") != old_claim:
                return False
            raw.update(owner=owner, claimed_at=now)
            return True

    def commit_change(self, case_id: str, change: Change, owner: str) -> bool:
        with self._lock:
            raw = self.ledgers.get(case_id, {})
            if raw.get("token") != change.token or raw.get("owner") != owner or raw.get("phase") != "apply":
                return False
            raw.update(applied=change.after.to_json(), applied_version=change.after.version, phase="clean")
            return True

    def finish_change(self, case_id: str, token: str) -> bool:
        with self._lock:
            raw = self.ledgers.get(case_id, {})
            if raw.get("token") != token or raw.get("phase") != "clean":
                return False
            for name in ("pending", "token", "phase", "owner", "claimed_at"):
                raw.pop(name, None)
            return True
