"""Count DynamoDB API calls made through the models, with botocore's event hooks.

Used by the request-budget tests and `make bench` to prove what each use case costs: requests per operation
and per table, items read, and the bytes of every response body as it came over the wire.
"""

from __future__ import annotations

from collections import Counter

from chalicelib.store.models import ALL_MODELS
from chalicelib.store.tables import bind_models


class RequestCounter:
    """Counts every DynamoDB operation issued by any model while attached."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items_read = 0  # ScannedCount of queries and scans, plus items returned by gets
        self.items_by_operation: Counter[str] = Counter()
        self.table_calls: Counter[tuple[str, str]] = Counter()  # (table name, operation): a batch counts per table
        self.bytes_read = 0  # raw HTTP response bodies, whatever the operation (errors included)
        self.bytes_by_operation: Counter[str] = Counter()
        self._clients: list = []

    def _on_call(self, model, params, **kwargs) -> None:
        self.calls[model.name] += 1

    def _on_params(self, params, model, **kwargs) -> None:
        """The API parameters (before serialisation) name the table(s) a request touches."""
        if not isinstance(params, dict):
            return
        if "TableName" in params:
            self.table_calls[(str(params["TableName"]), model.name)] += 1
        for table in params.get("RequestItems") or {}:
            self.table_calls[(str(table), model.name)] += 1

    def table_total(self, table: str, operations: tuple[str, ...] | None = None) -> int:
        """Requests made to one table (all operations, or only `operations`)."""
        return sum(n for (name, op), n in self.table_calls.items()
                   if name == table and (operations is None or op in operations))

    def _on_result(self, http_response, parsed, model, **kwargs) -> None:
        size = len(getattr(http_response, "content", b"") or b"")
        self.bytes_read += size
        self.bytes_by_operation[model.name] += size
        if model.name in ("Query", "Scan"):
            read = int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            read = 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            read = sum(len(v) for v in parsed.get("Responses", {}).values())
        else:
            return
        self.items_read += read
        self.items_by_operation[model.name] += read

    def attach(self) -> RequestCounter:
        bind_models()
        seen = set()
        for model in ALL_MODELS:
            client = model._get_connection().connection.client
            if id(client) in seen:
                continue
            seen.add(id(client))
            client.meta.events.register("before-call.dynamodb", self._on_call)
            client.meta.events.register("before-parameter-build.dynamodb", self._on_params)
            client.meta.events.register("after-call.dynamodb", self._on_result)
            self._clients.append(client)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self._on_call)
            client.meta.events.unregister("before-parameter-build.dynamodb", self._on_params)
            client.meta.events.unregister("after-call.dynamodb", self._on_result)
        self._clients.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0
        self.items_by_operation.clear()
        self.table_calls.clear()
        self.bytes_read = 0
        self.bytes_by_operation.clear()

    def __enter__(self) -> RequestCounter:
        return self.attach()

    def __exit__(self, *exc) -> None:
        self.detach()
