"""ETag / If-Match for optimistic concurrency on updates (SPEC §8)."""

from __future__ import annotations

import hashlib

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from pharmex.errors import PreconditionFailed, PreconditionRequired

IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you last read; a stale value is refused with 412 so you never overwrite a newer change. "
    "It must name at least one ETag (or `*`): an empty one is refused with 400.",
    type=str,
    pattern=r"[^\s,]",
)


def etag_for(obj: Model) -> str:
    """A strong ETag from the row's identity and its `updated_at` stamp."""
    version = f"{obj._meta.label}:{obj.pk}:{obj.updated_at.isoformat()}"  # type: ignore[attr-defined]
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


IF_MATCH_REQUIRED_PARAMETER = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=True,
    description="The ETag you last read (required: 428 without it); a stale value is refused with 412.",
    type=str,
    pattern=r"[^\s,]",
)


def check_if_match(request: Request, obj: Model, *, required: bool = False) -> None:
    """Raises PreconditionFailed when If-Match is sent and does not name the current version; a ValidationError
    (400) when it names nothing at all; PreconditionRequired (428) when `required` and it is not sent."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise PreconditionRequired()
        return
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")} - {""}
    if not offered:
        raise exceptions.ValidationError(
            {"If-Match": [exceptions.ErrorDetail("Name the ETag you last read (or *).", code="blank")]}
        )
    if "*" not in offered and etag_for(obj) not in offered:
        raise PreconditionFailed(detail=f"Current ETag is {etag_for(obj)}; read the resource again.")


def with_etag(response: Response, obj: Model) -> Response:
    response["ETag"] = etag_for(obj)
    return response
