"""The OpenAPI document's links and parameters (``serve_app.openapi_doc``):
every link names an operation and parameters that exist, and a link to an
operation the app does not have stops the document from being built."""

from __future__ import annotations

from typing import Any

import pytest

from serve_app.app import create_app
from serve_app.openapi_doc import LINKS, Link, add_links


def _doc() -> dict[str, Any]:
    return create_app().openapi()


def test_every_link_leads_to_an_operation_and_its_parameters() -> None:
    doc = _doc()
    ops = {op["operationId"]: op for methods in doc["paths"].values() for op in methods.values()}
    found = 0
    for methods in doc["paths"].values():
        for op in methods.values():
            for answer in op["responses"].values():
                for link in answer.get("links", {}).values():
                    target = ops[link["operationId"]]
                    names = {p["name"] for p in target.get("parameters", [])}
                    assert set(link["parameters"]) <= names, link
                    found += 1
    assert found == len(LINKS)


def test_a_link_to_a_missing_operation_is_refused() -> None:
    doc = create_app().openapi()
    bad = Link(
        "POST /api/noc/users", "201", "GET /api/noc/people/{id}", {"id": "$response.body#/id"}
    )
    with pytest.raises(ValueError, match="no operation GET /api/noc/people"):
        add_links(doc, (bad,))


def test_query_parameters_carry_no_null_branch() -> None:
    for methods in _doc()["paths"].values():
        for op in methods.values():
            for param in op.get("parameters", []):
                assert {"type": "null"} not in param["schema"].get("anyOf", []), param
