"""Count DynamoDB API calls made through the models, with botocore's event hooks.

Used by the request-budget tests and `make bench` to prove what each use case costs.
"""

from __future__ import annotations

from collections import Counter

from chalicelib.store.models import ALL_MODELS
from chalicelib.store.tables import bind_models


class RequestCounter:
    """Counts every DynamoDB operation issued by any model while attached."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._clients: list = []

    def _on_call(self, model, params, **kwargs) -> None:
        self.calls[model.name] += 1

    def attach(self) -> RequestCounter:
        bind_models()
        seen = set()
        for model in ALL_MODELS:
            client = model._get_connection().connection.client
            if id(client) in seen:
                continue
            seen.add(id(client))
            client.meta.events.register("before-call.dynamodb", self._on_call)
            self._clients.append(client)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self._on_call)
        self._clients.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()

    def __enter__(self) -> RequestCounter:
        return self.attach()

    def __exit__(self, *exc) -> None:
        self.detach()
