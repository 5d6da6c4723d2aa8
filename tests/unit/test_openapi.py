"""docs/openapi.yaml stays true: the same routes and methods as the Chalice app, every reference resolvable, and
every JSON error answer described with the one error body. (The responses themselves are fuzzed against it in
tests/integration/test_api_fuzz.py.)"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR_REF = "#/components/schemas/Error"


@cache
def description() -> dict:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def described_routes() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in description()["paths"].items() for method in item
            if method in HTTP_METHODS}


def app_routes() -> set[tuple[str, str]]:
    from app import app

    return {(method, path) for path, methods in app.routes.items() for method in methods}


def resolve(ref: str) -> object:
    node: object = description()
    for part in ref.removeprefix("#/").split("/"):
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def operations():
    for path, item in description()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def test_the_description_has_every_route_of_the_app_with_the_same_methods():
    missing = app_routes() - described_routes()
    extra = described_routes() - app_routes()
    assert not missing, f"routes missing from docs/openapi.yaml: {sorted(missing)}"
    assert not extra, f"docs/openapi.yaml describes routes the app does not have: {sorted(extra)}"


def test_it_is_openapi_3_1_with_unique_operation_ids_and_resolvable_references():
    doc = description()
    assert doc["openapi"].startswith("3.1")
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids)), "operationId must be unique"
    for node in walk(doc):
        if "$ref" in node:
            resolve(node["$ref"])


def test_path_parameters_match_the_path_template():
    import re

    for method, path, operation in operations():
        declared = set()
        for parameter in operation.get("parameters", []):
            parameter = resolve(parameter["$ref"]) if "$ref" in parameter else parameter
            if parameter["in"] == "path":
                declared.add(parameter["name"])
        assert declared == set(re.findall(r"\{(\w+)\}", path)), (method, path)


def test_every_json_error_answer_has_the_error_body():
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            response = resolve(response["$ref"]) if "$ref" in response else response
            if not str(status).startswith(("4", "5")):
                continue
            json_schema = response.get("content", {}).get("application/json", {}).get("schema")
            if path.startswith(("/api/", "/webhooks/", "/health")) or json_schema is not None:
                assert json_schema == {"$ref": ERROR_REF}, (method, path, status)


def test_schemathesis_loads_every_operation():
    import schemathesis

    schema = schemathesis.openapi.from_path(str(OPENAPI))
    loaded = {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()}
    assert loaded == described_routes()
