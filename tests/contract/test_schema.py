"""The OpenAPI document is a contract a generated client can trust (SPEC §8, issue 11): it validates as OpenAPI,
names every path parameter in its path, uses ASCII identifiers, forbids what the server refuses, marks what
the server always renders as required and declares the headers it sends."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from tests.contract.schema import openapi_document

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_schema_is_valid_openapi(document):
    validate(document)  # openapi-spec-validator raises on the first error


def test_every_path_parameter_is_in_its_path(document):
    wrong = []
    for path, method, operation in _operations(document):
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        in_path = set(re.findall(r"{([^}]+)}", path))
        if declared != in_path:
            wrong.append(f"{method.upper()} {path}: declares {sorted(declared)}, path has {sorted(in_path)}")
    assert wrong == []


def test_identifiers_a_client_generator_uses_are_ascii(document):
    # component names, operation ids, parameter names and titles become class, function and file names
    names = list(document["components"]["schemas"])
    for _, _, operation in _operations(document):
        names.append(operation["operationId"])
        names += [p["name"] for p in operation.get("parameters", [])]
    titles = re.findall(r"'title': '([^']*)'", str(document))
    assert [name for name in names + titles if not name.isascii()] == []


def test_no_blank_enum_component(document):
    assert not [name for name in document["components"]["schemas"] if name.startswith(("Blank", "Null"))]


def _request_components(document: dict) -> set[str]:
    names = set()
    for _, _, operation in _operations(document):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            names |= set(re.findall(r"#/components/schemas/(\w+)", str(media)))
    return names


def test_request_bodies_refuse_unknown_fields(document):
    schemas = document["components"]["schemas"]
    loose = [name for name in _request_components(document) if schemas[name].get("additionalProperties") is not False]
    assert loose == []


def test_request_schema_is_as_strict_as_the_server(document):
    schemas = document["components"]["schemas"]
    place = schemas["OrderPlaceInputRequest"]["properties"]
    assert place["lines"]["minItems"] == 1
    assert place["lines"]["maxItems"] == 100
    money = schemas["PayInputRequest"]["properties"]["amount"]["pattern"]
    assert not re.match(money, "") and not re.match(money, "-") and not re.match(money, "1.")
    assert re.match(money, "12.50") and re.match(money, "0") and not re.match(money, "-0.01")
    assert not re.match(money, "1000000000000.01") and re.match(money, "1000000000000.00")
    price = schemas["OfferCreateInputRequest"]["properties"]["unit_price"]["pattern"]
    assert not re.match(price, "0.00") and re.match(price, "0.01") and not re.match(price, "10000000.01")
    organization = schemas["RegistrationOrganizationInputRequest"]["properties"]
    assert re.match(organization["uscc"]["pattern"], "91460000MA5T1XXH2N")
    assert not re.match(organization["uscc"]["pattern"], "91460000MA5T1XXI2N")  # no I in the alphabet
    assert re.match(organization["province_code"]["pattern"], "460000")
    assert not re.match(organization["province_code"]["pattern"], "469999")
    text = schemas["DisputeInputRequest"]["properties"]["reason"]["pattern"]
    assert re.match(text, " a reason ") and not re.match(text, "   ") and not re.match(text, "bad\u202eone")
    assert re.match(text, "x" * 1000) and not re.match(text, "x" * 1001)


def test_output_fields_the_server_always_renders_are_required(document):
    schemas = document["components"]["schemas"]
    order = schemas["OrderOutput"]
    assert set(order["properties"]) == set(order["required"])
    assert {"status", "placed_at", "currency"} <= set(order["required"])
    assert set(schemas["PaginatedOrderOutputList"]["required"]) == {"next", "previous", "results"}
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}  # code, errors: sometimes


def test_output_enums_are_extensible_and_input_enums_closed(document):
    schemas = document["components"]["schemas"]
    status = schemas["OrderOutput"]["properties"]["status"]
    assert status["type"] == "string" and "enum" not in status and "received" in status["x-extensible-enum"]
    assert schemas["MemberRoleEnum"]["enum"]  # what a client sends stays a closed list


def test_response_headers_are_declared(document):
    missing = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            if "X-Request-ID" not in headers:
                missing.append(f"{method.upper()} {path} {status}: X-Request-ID")
            if status == "429" and "Retry-After" not in headers:
                missing.append(f"{method.upper()} {path} 429: Retry-After")
            if status == "202" and response.get("content") and "Location" not in headers:
                missing.append(f"{method.upper()} {path} 202: Location")
    assert missing == []
    create = document["paths"]["/api/v1/orders/"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Idempotent-Replayed"} <= set(create)


def test_organization_header_is_declared_where_a_person_signs_in(document):
    missing = []
    for path, method, operation in _operations(document):
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        names = {p["name"] for p in operation.get("parameters", [])}
        if "jwtAuth" in schemes and "X-Organization-ID" not in names:
            missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_token_responses_are_typed(document):
    token = document["paths"]["/api/v1/auth/token/"]["post"]["responses"]["200"]
    refresh = document["paths"]["/api/v1/auth/token/refresh/"]["post"]["responses"]["200"]
    assert token["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TokenPairOutput"}
    assert refresh["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/AccessTokenOutput"}
