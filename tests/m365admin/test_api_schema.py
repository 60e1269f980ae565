"""The OpenAPI schema: valid without a warning, describing every API route with its errors,
filters and paging, served as JSON and YAML to signed-in callers, and read by Swagger UI and
Redoc under the CSP (their drawing in Chromium: tests/browser/test_api_docs_browser.py)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from m365admin.api.root import PREFIX, routes

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _shape(path: str) -> str:
    """A path with each parameter as `{}` (the schema names `pk` `id`)."""
    return re.sub(r"\{\w+\}", "{}", path)


def _api_routes():
    """The shape of every route of the URL configuration under /api/v1/."""
    for route in routes():
        if route.startswith(PREFIX):
            route = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", route)
            yield "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route)


def test_the_schema_validates_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_every_api_route_is_described(schema):
    described = {_shape(path) for path in schema["paths"]}
    # A router action's trailing-slash copy is described once, by its documented URL.
    missing = {route for route in _api_routes()
               if route not in described and route.rstrip("/") not in described}
    assert missing == set()


def test_every_operation_describes_its_errors(schema):
    wrong = []
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "429"} | ({"404"} if "{" in path else set())
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("400")
        if not expected <= set(responses):
            wrong.append(f"{method} {path}: {sorted(expected - set(responses))}")
        elif "Retry-After" not in responses["429"].get("headers", {}):
            wrong.append(f"{method} {path}: 429 without Retry-After")
    assert wrong == []


def test_conflicts_are_described_where_they_happen(schema):
    paths = schema["paths"]
    assert "409" in paths["/api/v1/alerts/{code}/acknowledge"]["post"]["responses"]
    assert "409" in paths["/api/v1/database/actions"]["post"]["responses"]
    assert "409" not in paths["/api/v1/users/"]["get"]["responses"]


def _parameters(schema, path: str) -> set[str]:
    return {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}


def test_lists_describe_their_filters_and_paging(schema):
    assert {"tenant", "since", "until", "status", "failed", "user", "app", "ip_address",
            "country", "risk_state", "cursor", "page_size"} <= _parameters(
        schema, "/api/v1/sign-ins/")
    assert {"q", "limit", "offset", "ordering"} <= _parameters(schema, "/api/v1/users/")
    assert {"severity", "status", "source", "tenant", "open"} <= _parameters(
        schema, "/api/v1/alerts/")
    page = schema["paths"]["/api/v1/users/"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"count", "next", "previous", "results"} <= set(
        schema["components"]["schemas"][page]["properties"])


def test_describing_the_filters_leaves_their_forms_alone(schema):
    from m365admin.filtersets import DirectoryUserFilterSet

    form = DirectoryUserFilterSet({"user_type": "Alien"}).form
    assert not form.is_valid()
    assert form.fields["user_type"].label == "User type"
    assert not any(hasattr(f, "_field") for f in DirectoryUserFilterSet.base_filters.values())


def test_the_jwt_flow_is_described(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]
    obtain = paths["/api/v1/auth/token"]["post"]
    body = obtain["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert {"username", "password", "otp"} <= set(components[body.rsplit("/", 1)[1]]["properties"])
    assert {"/api/v1/auth/token/refresh", "/api/v1/auth/token/revoke"} <= set(paths)
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    assert {"jwtAuth": []} in paths["/api/v1/users/"]["get"]["security"]


def test_the_schema_is_served_as_json_and_yaml(client, viewer):
    client.force_login(viewer)
    as_json = client.get("/api/schema/")
    assert as_json.status_code == 200
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    as_yaml = client.get("/api/schema/", {"format": "yaml"})
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.content)["paths"] == as_json.json()["paths"]


def test_the_schema_is_refused_without_credentials(client):
    assert client.get("/api/schema/").status_code == 401


def test_a_token_holder_reads_the_schema(client, viewer):
    token = client.post("/api/v1/auth/token", {"username": "victor",
                                               "password": "pw-victor-123456"}).json()["access"]
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_the_readers_load_no_inline_code_and_keep_the_csp(client, viewer, page):
    client.force_login(viewer)
    response = client.get(page)
    html = response.content.decode()
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "cdn." not in html and "googleapis" not in html
    assert "/static/drf_spectacular_sidecar/" in html


def test_swagger_ui_gets_its_start_up_script_from_the_server(client, viewer):
    client.force_login(viewer)
    script = client.get("/api/schema/swagger/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()


def test_redoc_gets_the_nonce_of_the_request(client, viewer):
    client.force_login(viewer)
    response = client.get("/api/schema/redoc/")
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"].split("style-src")[1]


def test_the_api_root_lists_every_parameter_free_operation(client, viewer, schema):
    client.force_login(viewer)
    root = client.get("/api/v1/").json()
    plain = {path.removeprefix("/api/v1/").rstrip("/") for path in schema["paths"]
             if "{" not in path} - {""}
    assert plain <= set(root)
    assert root["schema"] == "http://testserver/api/schema/"
