"""Balance checkpoints (issue 19): an account's balance is read as its checkpoint plus the postings after it, so it
costs an hour of postings, not the account's history; it always equals the sum of every posting; and the job never
takes a horizon under a posting still in flight, which a sequence's ids in commit order would otherwise allow."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from accounts.actor import actor_for_user
from pharmex.actor import SYSTEM_ACTOR
from settlements import sql
from settlements.choices import AccountKind, EntryKind
from settlements.models import BalanceCheckpoint, LedgerAccount, Posting
from settlements.selectors import ledger_account_list
from settlements.services import Leg, balances_checkpoint, entry_post, ledger, platform_account
from tests import plans
from tests.factories.settlements import received_order
from tests.settlements.conftest import assert_ledger_invariants


def summed() -> dict[int, Decimal]:
    """Every account's balance the long way: the sum of all its postings."""
    sums = dict(Posting.objects.values("account").annotate(s=Sum("amount")).values_list("account", "s"))
    return {pk: sums.get(pk, Decimal("0.00")) for pk in LedgerAccount.objects.values_list("pk", flat=True)}


def read(actor=SYSTEM_ACTOR) -> dict[int, Decimal]:
    return {account.pk: account.balance for account in ledger_account_list(actor=actor)}


def transfer(amount: str, source_id: str) -> None:
    entry_post(
        kind=EntryKind.PAYMENT,
        source_type="test",
        source_id=source_id,
        created_by="test",
        legs=[
            Leg(platform_account(AccountKind.PLATFORM_BANK), Decimal(amount)),
            Leg(platform_account(AccountKind.COMMISSION_REVENUE), -Decimal(amount)),
        ],
    )


@pytest.mark.django_db
def test_a_balance_is_its_checkpoint_and_the_postings_after_it(parties, admin_user):
    for gross in ("100.00", "250.00"):
        received_order(buyer=parties.buyer, supplier=parties.supplier, gross=gross)
    assert read() == summed()  # before any: every posting

    moved = balances_checkpoint()
    newest = Posting.objects.order_by("-pk").first().pk
    assert moved == BalanceCheckpoint.objects.count() == 3  # buyer receivable, supplier payable, commission
    assert set(BalanceCheckpoint.objects.values_list("through_posting", flat=True)) == {newest}
    assert read() == summed()

    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="80.00")
    transfer("5.00", "1")
    assert Posting.objects.filter(pk__gt=newest).count() == 6
    assert read() == summed()
    assert read(actor_for_user(admin_user)) == summed()  # staff read through the same selector

    assert balances_checkpoint() == 4  # the three again, and the platform bank
    assert read() == summed()
    assert balances_checkpoint() == 0  # nothing new: nothing moves
    assert_ledger_invariants()


@pytest.mark.django_db
def test_the_balance_read_reaches_only_the_postings_after_the_checkpoint(parties):
    # given: accounts with a checkpoint and accounts without, on a book of 30,000 postings of a thousand accounts
    # (each account a small share of the book, as on a platform; with the test's five accounts a fifth each, reading
    # a third of the book along the primary key, in the heap's order, may be priced below an account's postings)
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00")
    balances_checkpoint()
    transfer("5.00", "1")
    entry = Posting.objects.values_list("entry", flat=True).first()
    others = LedgerAccount.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    pad = (
        "INSERT INTO settlements_posting (entry_id, account_id, amount, currency) "
        "SELECT %s, %s + n %% 1000, 1, 'CNY' FROM generate_series(1, 30000) AS n"
    )
    sql, params = ledger_account_list(actor=SYSTEM_ACTOR).query.sql_with_params()

    # when
    with plans.history(["settlements_posting"], (pad, [entry, others])):
        reads = [
            node.get("Index Cond") or node.get("Recheck Cond") or node["Node Type"]
            for node in plans.plan_nodes(sql, params)
            if node.get("Relation Name") == "settlements_posting"
        ]

    # then: each account's postings are read through the index on (account, id), bounded by its checkpoint's
    # posting (0 without one): a checkpointed account costs its postings since the checkpoint, not its history
    assert reads and all("account_id = " in read and "(id > " in read for read in reads), reads
    assert read() == summed()  # the padding gone again


@pytest.mark.django_db
def test_a_long_book_is_checkpointed_a_step_at_a_time(parties, monkeypatch):
    for gross in ("100.00", "250.00", "80.00"):
        received_order(buyer=parties.buyer, supplier=parties.supplier, gross=gross)
    postings = list(Posting.objects.order_by("pk").values_list("pk", flat=True))
    assert len(postings) == 12
    monkeypatch.setattr(ledger, "CHECKPOINT_STEP", 5)
    steps, step = [], sql.balances_checkpoint
    monkeypatch.setattr(sql, "balances_checkpoint", lambda **range_: steps.append(range_["upto"]) or step(**range_))

    assert balances_checkpoint() == 3 + 3 + 2  # accounts with postings in each step (the last: payable, commission)
    assert steps == [postings[4], postings[9], postings[11]]
    assert read() == summed()
    assert_ledger_invariants()


@pytest.mark.django_db
def test_the_api_and_the_admin_show_the_checkpointed_balances(parties, admin_user, client):
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00")
    balances_checkpoint()
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="20.00")
    expected = summed()
    client.force_login(admin_user)
    listed = client.get("/api/v1/ledger/accounts/").json()["results"]
    assert {row["id"]: Decimal(row["balance"]) for row in listed} == expected
    admin_user.is_superuser = True
    admin_user.save()
    page = client.get("/admin/settlements/ledgeraccount/")
    assert {account.pk: account.balance for account in page.context["cl"].result_list} == expected


@pytest.mark.django_db(transaction=True)
def test_the_horizon_waits_for_postings_in_flight(parties):
    bank = platform_account(AccountKind.PLATFORM_BANK)
    platform_account(AccountKind.COMMISSION_REVENUE)  # both accounts exist before the writers race
    posted, release = threading.Event(), threading.Event()
    outcome: list = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                transfer("7.00", "in-flight")  # takes its posting ids now, commits only when released
                posted.set()
                release.wait(30)
            outcome.append("committed")
        except Exception as error:  # the test asserts on it
            outcome.append(error)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert posted.wait(30)
        transfer("3.00", "later")  # higher ids, committed first: a horizon above the writer's ids
        assert balances_checkpoint(attempts=2) is None  # the writer holds the ledger: no horizon, nothing written
        assert not BalanceCheckpoint.objects.exists()
    finally:
        release.set()
        writer.join(30)
    assert outcome == ["committed"]

    assert balances_checkpoint() == 2
    assert read() == summed()
    assert BalanceCheckpoint.objects.get(account=bank).balance == Decimal("10.00")
    assert_ledger_invariants()
