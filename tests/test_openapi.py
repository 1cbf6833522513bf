"""The OpenAPI document describes every /api/ route and method, validly."""

from __future__ import annotations

import re

from app.openapi import document


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_api_route_and_method_is_in_the_document(app, client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    paths = served.get_json()["paths"]
    documented = {
        (path, method) for path, item in paths.items() for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }  # fmt: skip
    missing = api_routes(app) - documented
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    assert not documented - api_routes(app), "documented routes that do not exist"


def test_a_route_added_to_the_app_fails_the_check(app):
    app.add_url_rule("/api/v1/undocumented", "undocumented", lambda: {})
    documented = {(p, m) for p, item in document()["paths"].items() for m in item}
    assert ("/undocumented", "get") in api_routes(app) - documented


def test_the_document_is_valid_openapi_3_1():
    from schemathesis.openapi import from_dict

    doc = document()
    assert doc["openapi"].startswith("3.1")
    try:
        import jsonschema
    except ImportError:  # not installed here: schemathesis' loader checks below
        jsonschema = None
    if jsonschema is not None:
        # The component schemas are JSON Schema 2020-12, as OpenAPI 3.1 says.
        for schema in doc["components"]["schemas"].values():
            jsonschema.Draft202012Validator.check_schema(schema)
    operations = list(from_dict(doc).get_all_operations())
    assert all(result.ok() for result in operations)
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}


def test_every_operation_documents_the_error_shape_for_its_4xx():
    doc = document()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = [c for c in operation["responses"] if c.startswith("4")]
            if path != "/openapi.json":
                assert {"400", "401"} <= set(codes), (path, method)
            for code in codes:
                ref = operation["responses"][code]["$ref"]
                response = doc["components"]["responses"][ref.rsplit("/", 1)[1]]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}


def test_the_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["paths"]["/openapi.json"]["get"]["security"] == []
