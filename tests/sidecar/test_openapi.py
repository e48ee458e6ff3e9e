"""GET /openapi.json: every route of the sidecar is described with the methods it answers, and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from adops.sidecar import create_app
from adops.sidecar.openapi import document

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def client(workspace: object) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def _paths() -> set[str]:
    return {r.path for r in create_app().routes if isinstance(r, Route)}


def test_every_route_is_documented_and_no_documented_route_is_gone() -> None:
    documented = set(document()["paths"])
    assert documented == _paths(), {
        "undocumented": _paths() - documented,
        "stale": documented - _paths(),
    }


def test_each_path_answers_exactly_the_documented_methods(client: TestClient) -> None:
    """A method the document does not list is refused with 405, and its Allow header names the listed ones."""
    for path, item in document()["paths"].items():
        listed = {m for m in item if m in METHODS}
        assert listed, f"{path} documents no operation"
        unlisted = sorted(METHODS - listed)[0]
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = client.request(unlisted.upper(), url)
        assert answer.status_code == 405, (path, unlisted, answer.status_code)
        allowed = {m.strip().lower() for m in answer.headers["allow"].split(",")} - {"head"}
        assert allowed == listed, (path, allowed, listed)


def test_served_document_is_the_module_document_and_well_formed(client: TestClient) -> None:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc == document()
    assert doc["openapi"].startswith("3.1")
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids))
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in METHODS:
                assert op["summary"] and op["responses"], op
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"#/components/schemas/([^"]+)"', answer.text)
    assert refs and set(refs) <= set(schemas)


def test_hostile_queries_and_replays_get_the_same_document(client: TestClient) -> None:
    first = client.get("/openapi.json").json()
    for query in ("?x=" + "A" * 10_000, "?%00=%ff", "?__proto__=1"):
        again = client.get("/openapi.json" + query)
        assert again.status_code == 200 and again.json() == first
    assert client.post("/openapi.json", content=b"{}").status_code == 405
