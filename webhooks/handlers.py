"""Upstream domain events that organisations receive as webhooks.

accounts may not import orders, so it emits in-process events (pharmex.events) and this module,
registered in the app's ready(), writes them to the outbox — inside the emitter's transaction.
"""

from __future__ import annotations

from datetime import date

from pharmex import events
from webhooks.services import outbox_publish


@events.subscribe(events.LICENSE_EXPIRING)
def license_expiring(*, organization_id: int, license_id: int, number: str, valid_until: date, days_left: int) -> None:
    outbox_publish(
        event_type="license.expiring",
        organization_ids=[organization_id],
        object_type="license",
        object_id=license_id,
        payload={"license_id": license_id, "number": number, "valid_until": valid_until, "days_left": days_left},
    )


@events.subscribe(events.TRADING_SUSPENDED)
def trading_suspended(*, organization_id: int, reason: str, license_id: int | None = None) -> None:
    outbox_publish(
        event_type="organization.trading_suspended",
        organization_ids=[organization_id],
        object_type="organization",
        object_id=organization_id,
        payload={"organization_id": organization_id, "reason": reason, "license_id": license_id},
    )
