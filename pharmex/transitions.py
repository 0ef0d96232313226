"""The one way any status changes (STYLE G9): a table per machine and one function that applies it.

Each app declares its machines next to their choices: which actions lead from which states to which, and
where the history goes. `transition()` then does every change the same way, in the caller's transaction:

1. lock the row (`SELECT … FOR UPDATE`; a row lock rather than a conditional UPDATE, because the callers
   go on to do more under it — release stock, post to the ledger — and need the row as it now is);
2. refuse an action the current state does not allow: `InvalidTransition`, a 409 problem;
3. set the new status, the arrival timestamp of that status and any other changes, in one UPDATE;
4. write the history row (who, when, from, to, note, data) and the audit record.

Services that must check or write something between the lock and the change call `transition_lock` and
`transition_apply` (which `transition` is made of) with their own work in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidTransition


@dataclass(frozen=True)
class Transition:
    """An action: the states it may start from and the state it leads to.

    `audit_action` names the audit record when it predates this table (licences wrote `license.approved`);
    otherwise the record is `<object_type>.<action>`.
    """

    sources: frozenset[str]
    target: str
    audit_action: str | None = None


@dataclass(frozen=True)
class StateMachine:
    """A model's status, the actions that change it and where each change is recorded."""

    model: type[models.Model]
    object_type: str  # audit object type: "order"
    noun: Any  # "an order", for messages (a lazy translation)
    transitions: Mapping[str, Transition]
    history_model: type[models.Model]  # a pharmex.models.TransitionRecord with a foreign key to the object
    history_field: str  # that foreign key's name
    organization_of: Callable[[Any, str], int | None]  # (object, action) → the organisation the audit record is about
    timestamps: Mapping[str, str] = field(default_factory=dict)  # target status → field stamped on arrival
    status_field: str = "status"

    def __post_init__(self) -> None:
        choices = {value for value, _label in self.model._meta.get_field(self.status_field).choices}
        for name, step in self.transitions.items():
            unknown = (step.sources | {step.target}) - choices
            if unknown:
                raise ValueError(f"{self.object_type} transition {name!r} names unknown states {sorted(unknown)}")

    def allowed(self, status: str) -> list[str]:
        """The actions the machine allows from a state (the admin site and the docs show them)."""
        return [name for name, step in self.transitions.items() if status in step.sources]


def transition_lock(machine: StateMachine, pk: Any, action: str, *, related: tuple[str, ...] = ()) -> Any:
    """The object, locked for the rest of the transaction, in a state `action` may start from.

    Call inside a transaction. Raises: InvalidTransition (→ 409) from any other state; DoesNotExist.
    """
    assert transaction.get_connection().in_atomic_block, "transition_lock needs a transaction"
    queryset = machine.model.objects.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    obj = queryset.get(pk=pk)
    check_transition(machine, obj, action)
    return obj


def check_transition(machine: StateMachine, obj: Any, action: str) -> None:
    """Raises: InvalidTransition when `obj`'s state does not allow `action`."""
    step = machine.transitions[action]
    status = getattr(obj, machine.status_field)
    if status not in step.sources:
        raise InvalidTransition(
            _("Cannot %(action)s %(noun)s that is %(status)s.")
            % {"action": action.replace("_", " "), "noun": machine.noun, "status": status}
        )


def transition_apply(
    machine: StateMachine,
    obj: Any,
    *,
    action: str,
    actor: Actor,
    note: str = "",
    data: dict | None = None,
    changes: dict | None = None,
    audit_changes: dict | None = None,
) -> Any:
    """Move a locked object (from transition_lock) along `action`: status, timestamp, changes, history, audit.

    `audit_changes` adds to what the audit record says changed (beside the status and the note)."""
    step = machine.transitions[action]
    previous, now = getattr(obj, machine.status_field), timezone.now()
    fields = {machine.status_field: step.target, **(changes or {})}
    if step.target in machine.timestamps:
        fields[machine.timestamps[step.target]] = now
    for name, value in fields.items():
        setattr(obj, name, value)
    update_fields = list(fields)
    if any(f.name == "updated_at" for f in machine.model._meta.concrete_fields):
        update_fields.append("updated_at")
    obj.save(update_fields=update_fields)
    machine.history_model.objects.create(
        **{machine.history_field: obj},
        action=action,
        from_status=previous,
        to_status=step.target,
        actor=actor.audit.label[:255],
        note=note[:1000],
        data=data or {},
        created_at=now,
    )
    audit_record(
        actor=actor.audit,
        action=step.audit_action or f"{machine.object_type}.{action}",
        object_type=machine.object_type,
        object_id=obj.pk,
        organization_id=machine.organization_of(obj, action),
        changes={"status": [previous, step.target], "note": note, **(audit_changes or {})},
    )
    return obj


def transition(
    machine: StateMachine,
    pk: Any,
    *,
    action: str,
    actor: Actor,
    note: str = "",
    data: dict | None = None,
    changes: dict | None = None,
) -> Any:
    """Lock, check and apply in one call. Raises: InvalidTransition."""
    obj = transition_lock(machine, pk, action)
    return transition_apply(machine, obj, action=action, actor=actor, note=note, data=data, changes=changes)
