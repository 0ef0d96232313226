"""Racing on real PostgreSQL connections (RELIABILITY INV-1, INV-2): the suite's one way to release several callers
at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_concurrently(count: int, work: Callable[[int], T]) -> list[T | Exception]:
    """Call `work(0)` … `work(count - 1)` on `count` threads released together by a barrier, each on its own
    database connections (closed when it is done). Returns what each call returned or raised, in index order: a
    race's loser raising is an outcome the test asserts on."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
