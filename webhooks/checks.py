"""Fail fast on webhook settings that would otherwise only break at the first delivery."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from webhooks.ssrf import parse_networks

MAX_ATTEMPT_DEADLINE_SECONDS = 120  # + the task's 45 s of room stays far inside the 5-minute claim lease


@register()
def webhook_settings_check(app_configs, **kwargs) -> list[Error]:
    errors: list[Error] = []
    try:
        parse_networks(settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS)
    except ValueError as error:
        errors.append(
            Error(
                f"WEBHOOK_ALLOWED_PRIVATE_NETWORKS: {error}",
                hint='A comma-separated list of CIDRs, e.g. "127.0.0.1/32,10.20.0.0/16".',
                id="webhooks.E001",
            )
        )
    if settings.WEBHOOK_MAX_ATTEMPTS < 1:
        errors.append(Error("WEBHOOK_MAX_ATTEMPTS must be at least 1.", id="webhooks.E002"))
    if not 1 <= settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS <= MAX_ATTEMPT_DEADLINE_SECONDS:
        errors.append(
            Error(
                f"WEBHOOK_ATTEMPT_DEADLINE_SECONDS must be between 1 and {MAX_ATTEMPT_DEADLINE_SECONDS}.",
                hint="An attempt must end well within the 5-minute claim lease, or a second worker could repeat it.",
                id="webhooks.E003",
            )
        )
    return errors
