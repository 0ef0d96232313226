"""System checks of the kernel: hand-written INSERTs only for models a raw INSERT does not mistreat."""

from django.core.checks import Error, register

from pharmex.db import insert_columns_refusals


@register()
def raw_inserts_skip_nothing(app_configs=None, **kwargs) -> list[Error]:
    """pharmex.E001: an InsertColumns over a model with a custom save() or save signals (pharmex/db.py)."""
    return [
        Error(
            f"A hand-written INSERT would skip what save() does: {reason}.",
            hint="Write this model through the ORM, or move the behaviour out of save() and the signals.",
            id="pharmex.E001",
        )
        for reason in insert_columns_refusals()
    ]
