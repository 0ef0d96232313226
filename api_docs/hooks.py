"""Postprocessing hooks for the facts every operation shares (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

* the response headers (`X-Request-ID` always, `ETag`, `Idempotent-Replayed`, `Retry-After`, `Location`);
* the `X-Organization-ID` header on every operation a signed-in person calls (accounts/actor.py);
* ASCII titles only (a generated client names classes after titles: model verbose names such as 剂型 move
  into the description);
* a blank choice as an empty string, not a one-value `BlankEnum` class in every generated client.
"""

from __future__ import annotations

import copy

from api_docs.responses import DESCRIPTIONS

ORGANIZATION_PARAMETER = {
    "name": "X-Organization-ID",
    "in": "header",
    "required": False,
    "description": (
        "The organisation you act for, when you are a member of several (your memberships are in `GET /me/`). "
        "With one membership it is implied; API keys always act for their own organisation. A value that is not "
        "a positive whole number is refused with 400; one naming an organisation you are not a member of makes "
        "you act for none."
    ),
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "format": "int64"},
}

REQUEST_ID_HEADER = {
    "description": "The request's id, as in the logs and the audit log (yours when you sent a well-formed one).",
    "required": True,
    "schema": {"type": "string"},
}
ETAG_HEADER = {
    "description": "The version of the resource: send it back in `If-Match` to change it safely.",
    "schema": {"type": "string"},
}
REPLAYED_HEADER = {
    "description": "`true` when this is the stored response of an earlier request with the same Idempotency-Key.",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
LOCATION_HEADER = {
    "description": "The URL of the created job or resource: poll it.",
    "required": True,
    "schema": {"type": "string", "format": "uri"},
}

# Output components that carry their resource's ETag (the resources with If-Match, SPEC §8).
ETAG_COMPONENTS = frozenset(
    {"OrderOutput", "OfferOutput", "DrugOutput", "OrganizationOutput", "LicenseOutput", "ReceiveOutput"}
)
SECURED_BY_PERSON = frozenset({"jwtAuth", "cookieAuth"})
METHODS = frozenset({"get", "post", "put", "patch", "delete"})


def _operations(result: dict):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path, method, operation


def _response_ref(response: dict) -> str | None:
    for media in response.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if ref:
            return ref.rsplit("/", 1)[-1]
    return None


def add_response_headers(result: dict, generator, request, public) -> dict:
    """Declare the headers PharmEx sends: X-Request-ID on every response, and the ones particular responses carry."""
    for _, _, operation in _operations(result):
        idempotent = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
        for status, response in operation.get("responses", {}).items():
            headers = response.setdefault("headers", {})
            headers["X-Request-ID"] = copy.deepcopy(REQUEST_ID_HEADER)
            if status == "429":
                headers["Retry-After"] = copy.deepcopy(RETRY_AFTER_HEADER)
            if not status.startswith("2"):
                continue
            if _response_ref(response) in ETAG_COMPONENTS:
                headers["ETag"] = copy.deepcopy(ETAG_HEADER)
            if idempotent:
                headers["Idempotent-Replayed"] = copy.deepcopy(REPLAYED_HEADER)
            if status == "202" and response.get("content"):  # an accepted job or upload, to poll
                headers["Location"] = copy.deepcopy(LOCATION_HEADER)
    return result


def add_organization_header(result: dict, generator, request, public) -> dict:
    """Every operation a signed-in person may call takes X-Organization-ID (a malformed one is a 400)."""
    for _, _, operation in _operations(result):
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if not schemes & SECURED_BY_PERSON:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == ORGANIZATION_PARAMETER["name"] for p in parameters):
            parameters.append(copy.deepcopy(ORGANIZATION_PARAMETER))
        responses = operation.setdefault("responses", {})
        responses.setdefault(
            "400",
            {
                "description": DESCRIPTIONS[400],
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        )
    return result


def ascii_titles(result: dict, generator, request, public) -> dict:
    """Titles become class names in generated clients: a non-ASCII title (a model field's verbose name such as
    剂型) moves into the description."""

    def walk(node):
        if isinstance(node, dict):
            title = node.get("title")
            if isinstance(title, str) and not title.isascii():
                del node["title"]
                description = node.get("description", "")
                if title not in description:
                    node["description"] = f"{title}. {description}".strip() if description else title
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


BLANK = {"type": "string", "maxLength": 0, "description": "Empty: none."}


def blank_as_empty_string(result: dict, generator, request, public) -> dict:
    """spectacular's `BlankEnum` (a choice that may be blank) becomes a plain empty string."""
    blank_ref = "#/components/schemas/BlankEnum"

    def walk(node):
        if isinstance(node, dict):
            for key in ("oneOf", "anyOf"):
                if key in node:
                    node[key] = [dict(BLANK) if item.get("$ref") == blank_ref else item for item in node[key]]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    result.get("components", {}).get("schemas", {}).pop("BlankEnum", None)
    return result


def drop_build_markers(result: dict, generator, request, public) -> dict:
    """Remove the marker api_docs.schema leaves on field schemas it built (in case spectacular skipped a pass)."""

    def walk(node):
        if isinstance(node, dict):
            node.pop("x-pharmex-built", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result


# OpenAPI links (what a created resource leads to): generated clients document them and schemathesis' stateful
# phase follows them. (operationId, status) → {link name: (target operationId, its path parameter)}.
LINKS = {
    ("orders_create", "201"): {
        "RetrieveOrder": "orders_retrieve",
        "ConfirmOrder": "orders_confirm_create",
        "RejectOrder": "orders_reject_create",
        "CancelOrder": "orders_cancel_create",
        "OrderEvents": "orders_events_list",
    },
    ("offers_create", "201"): {
        "RetrieveOffer": "offers_retrieve",
        "UpdateOffer": "offers_partial_update",
        "OfferHistory": "offers_history_list",
        "OfferPriceHistory": "offers_price_history_list",
        "DeleteOffer": "offers_destroy",
    },
    ("licenses_create", "201"): {"RetrieveLicense": "licenses_retrieve", "LicenseHistory": "licenses_history_list"},
    ("webhooks_create", "201"): {"RetrieveWebhook": "webhooks_retrieve"},
}


def add_links(result: dict, generator, request, public) -> dict:
    """Declare LINKS on the responses of the operations that create the resource (the `id` of the body)."""
    known = {operation.get("operationId") for _, _, operation in _operations(result)}
    for _, _, operation in _operations(result):
        for (operation_id, status), links in LINKS.items():
            if operation.get("operationId") != operation_id or status not in operation.get("responses", {}):
                continue
            operation["responses"][status]["links"] = {
                name: {"operationId": target, "parameters": {"id": "$response.body#/id"}}
                for name, target in links.items()
                if target in known
            }
    return result
