"""How a periodic job works through the rows due to it, when it may leave some where they are.

A job that takes "the first N due rows" and skips the ones it cannot handle takes the same N again on its next run
once N of them are stuck (a shipment the buyer may not take in, an order something still refers to), and never
reaches the rows behind them. `work_through` passes over what it leaves for the rest of the run instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Worked:
    done: int
    passed_over: int


def work_through(due: QuerySet, *, limit: int, handle: Callable[[int], bool]) -> Worked:
    """Hand `handle` the primary keys of `due`, in its order, until it has handled `limit` or none is left.

    `handle` returns False for a row it leaves as it is. That row is passed over for the rest of the run and does not
    count against `limit`, so however many there are, they never hold up the rows behind them. A row `handle`
    handled must leave `due` (deleted, or no longer matching it), as the next batch is read from `due` again.
    """
    done, passed_over = 0, []
    while done < limit:
        batch = list(due.exclude(pk__in=passed_over).values_list("pk", flat=True)[: limit - done])
        if not batch:
            break
        for pk in batch:
            if handle(pk):
                done += 1
            else:
                passed_over.append(pk)
    return Worked(done=done, passed_over=len(passed_over))
