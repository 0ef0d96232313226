"""The operations desk on years of history (issue 19; not a test): does a search of the admin site cost what opening
the page costs, whatever the tables hold?

Runs on a database the growth bench left behind (it never seeds one; migrations are applied first, as a deploy
would, and their time is printed):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_bench .venv/bin/python bench/admin_desk.py
Env: BENCH_REPS (7; medians over all but the first).

Each page is a changelist of a table that grows with every order, fetched as a signed-in superuser through Django's
test client in this process: first as the desk opens it (no search, newest first: the floor, which reads an index
and 100 rows whatever the size), then searched by a whole value a staff member has in hand (an order number, a
tracking number, a code, an object id) or, for orders, part of a pharmacy's name. The ratio is searched ÷ opened;
alternated, so load on the machine falls on both.

Then the ledger accounts page, whose every row shows a balance: against the journal entries page opened (a page of
100 rows with no computed column), alternated the same way. Where the code has balance checkpoints, the checkpoint
job runs first (timed: its first run sums the whole book, later runs the postings since).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.growth import DATABASE_URL, setup_environment  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "7"))


def timed_page(client, path: str, term: str | None) -> float:
    started = time.perf_counter()
    response = client.get(path, {"q": term} if term is not None else {})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def main() -> None:
    setup_environment(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Organization, User
    from orders.models import Order, Shipment, TraceCode

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")

    user = User.objects.filter(email="desk-bench@platform.test").first()
    if user is None:
        user = User.objects.create_superuser(email="desk-bench@platform.test")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    order = Order.objects.order_by("-pk").first()
    shipment = Shipment.objects.filter(order__lt=order.pk).order_by("-pk").first()
    pharmacy = Organization.objects.get(pk=order.buyer_id).legal_name
    cases = [
        ("orders", "/admin/orders/order/", "a whole order number", order.number),
        ("orders", "/admin/orders/order/", "part of a pharmacy's name", pharmacy[-6:]),
        ("shipments", "/admin/orders/shipment/", "a whole order number", shipment.order.number),
        ("shipments", "/admin/orders/shipment/", "a tracking number", shipment.tracking_number),
        ("trace codes", "/admin/orders/tracecode/", "a whole code", TraceCode.objects.order_by("pk")[1000].code),
        ("audit records", "/admin/pharmex/auditevent/", "an object id", str(order.pk - 1000)),
        ("journal entries", "/admin/settlements/journalentry/", "a whole order number", shipment.order.number),
    ]
    rows = []
    for page, path, kind, term in cases:
        opened, searched = [], []
        for _ in range(REPS):
            opened.append(timed_page(client, path, None))
            searched.append(timed_page(client, path, term))
        floor, service = statistics.median(opened[1:]), statistics.median(searched[1:])
        rows.append((page, kind, floor, service))
        print(f"  {page}, {kind}: opened {floor:.1f} ms, searched {service:.1f} ms, ratio {service / floor:.2f}×")

    try:
        from settlements.services import balances_checkpoint
    except ImportError:  # code from before the checkpoints: balances are summed from the first posting
        balances_checkpoint = None
    if balances_checkpoint is not None:
        for run in ("first", "next"):
            started = time.perf_counter()
            moved = balances_checkpoint()
            print(f"balance checkpoints, {run} run: {moved} accounts, {time.perf_counter() - started:.2f} s")
    floor_path, ledger_path = "/admin/settlements/journalentry/", "/admin/settlements/ledgeraccount/"
    floors, pages = [], []
    for _ in range(REPS):
        floors.append(timed_page(client, floor_path, None))
        pages.append(timed_page(client, ledger_path, None))
    ledger_floor, ledger = statistics.median(floors[1:]), statistics.median(pages[1:])
    print(f"  ledger accounts with balances: {ledger:.1f} ms; journal entries opened {ledger_floor:.1f} ms")

    print()
    print(f"The admin desk on {Order.objects.count():,} orders, {REPS} repetitions (medians of all but the first)")
    print("| page | searched by | opened (floor) ms | searched ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for page, kind, floor, service in rows:
        print(f"| {page} | {kind} | {floor:.1f} | {service:.1f} | {service / floor:.2f}× |")
    ratio = ledger / ledger_floor
    print(f"| ledger accounts | (opened, with balances) | {ledger_floor:.1f} | {ledger:.1f} | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
