"""Every part of the gateway's OpenAPI document is described for API users (issue 22, "API users"):
each operation has a summary and a description, each schema property and each parameter a
description, and each request body an example for every media type it accepts. The document checked
is the one `cofre openapi dump` writes plus the contracts API (served where a Soroban network is
set). A failure lists every offender, so a new route or field without documentation names itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from serving.api import contracts
from serving.app import openapi_schema


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return openapi_schema(extra_routers=[contracts.router])


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def _properties(where: str, schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property of ``schema``, nested inline objects and array items included."""
    for name, prop in schema.get("properties", {}).items():
        yield f"{where}.{name}", prop
        yield from _properties(f"{where}.{name}", prop)
        if isinstance(prop.get("items"), dict):
            yield from _properties(f"{where}.{name}[]", prop["items"])


def undescribed_operations(spec: dict[str, Any]) -> list[str]:
    return [where for where, op in _operations(spec) if not op.get("summary") or not op.get("description")]


def undescribed_properties(spec: dict[str, Any]) -> list[str]:
    return [
        where
        for name, schema in spec["components"]["schemas"].items()
        for where, prop in _properties(name, schema)
        if not prop.get("description")
    ]


def undescribed_schemas(spec: dict[str, Any]) -> list[str]:
    """Named schemas without a description (a model's docstring); FastAPI's generated multipart
    ``Body_*`` schemas have none to give, their fields are described."""
    return [
        name
        for name, schema in spec["components"]["schemas"].items()
        if not name.startswith("Body_") and not schema.get("description")
    ]


def undescribed_parameters(spec: dict[str, Any]) -> list[str]:
    return [
        f"{where} {p['in']}:{p['name']}"
        for where, op in _operations(spec)
        for p in op.get("parameters", [])
        if not p.get("description")
    ]


def bodies_without_example(spec: dict[str, Any]) -> list[str]:
    return [
        f"{where} {media}"
        for where, op in _operations(spec)
        for media, content in op.get("requestBody", {}).get("content", {}).items()
        if not content.get("example") and not content.get("examples")
    ]


def test_every_operation_has_a_summary_and_a_description(spec: dict[str, Any]) -> None:
    bare = undescribed_operations(spec)
    assert bare == [], f"{len(bare)} operations without summary+description:\n" + "\n".join(bare)


def test_every_schema_property_is_described(spec: dict[str, Any]) -> None:
    bare = undescribed_properties(spec)
    assert bare == [], f"{len(bare)} schema properties without a description:\n" + "\n".join(bare)


def test_every_schema_is_described(spec: dict[str, Any]) -> None:
    bare = undescribed_schemas(spec)
    assert bare == [], f"{len(bare)} schemas without a description:\n" + "\n".join(bare)


def test_every_parameter_is_described(spec: dict[str, Any]) -> None:
    bare = undescribed_parameters(spec)
    assert bare == [], f"{len(bare)} parameters without a description:\n" + "\n".join(bare)


def test_every_request_body_has_an_example(spec: dict[str, Any]) -> None:
    bare = bodies_without_example(spec)
    assert bare == [], f"{len(bare)} request bodies without an example:\n" + "\n".join(bare)


def test_the_check_names_what_is_missing() -> None:
    """The finders are not vacuous: a bare operation, property, parameter and body are each reported."""
    doc = {
        "paths": {
            "/x": {
                "post": {
                    "summary": "s",
                    "parameters": [{"name": "q", "in": "query"}],
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                }
            }
        },
        "components": {"schemas": {"M": {"properties": {"a": {"type": "object", "properties": {"b": {}}}}}}},
    }
    assert undescribed_operations(doc) == ["POST /x"]
    assert undescribed_properties(doc) == ["M.a", "M.a.b"]
    assert undescribed_schemas(doc) == ["M"]
    assert undescribed_parameters(doc) == ["POST /x query:q"]
    assert bodies_without_example(doc) == ["POST /x application/json"]


def _examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example the document gives: media types of request bodies and
    responses, and schema properties."""
    for where, op in _operations(spec):
        contents = [("request", op.get("requestBody", {}).get("content", {}))]
        contents += [(status, r.get("content", {})) for status, r in op.get("responses", {}).items()]
        for part, content in contents:
            for media, mt in content.items():
                at = f"{where} {part} {media}"
                if "example" in mt:
                    yield at, mt.get("schema", {}), mt["example"]
                for name, ex in mt.get("examples", {}).items():
                    yield f"{at} [{name}]", mt.get("schema", {}), ex["value"]
    for name, schema in spec["components"]["schemas"].items():
        for where, prop in _properties(name, schema):
            for i, ex in enumerate(prop.get("examples", [])):
                yield f"{where} examples[{i}]", prop, ex


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(spec)


def test_every_example_matches_its_schema(spec: dict[str, Any]) -> None:
    """An example that the server would refuse (or never send) misleads more than none."""
    from jsonschema import Draft202012Validator

    wrong, seen = [], 0
    for where, schema, example in _examples(spec):
        seen += 1
        validator = Draft202012Validator({**schema, "components": spec["components"]})
        errors = [e.message for e in validator.iter_errors(example)]
        if errors:
            wrong.append(f"{where}: {errors[0]}")
    assert seen > 200
    assert wrong == [], f"{len(wrong)} examples do not match their schema:\n" + "\n".join(wrong)
