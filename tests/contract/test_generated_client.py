"""A client generated from /api/schema/ is a first-class user (SPEC §8, issue 11).

openapi-python-client generates a package from the schema into a temporary folder (nothing generated is
committed), with zero warnings; the flows below use only that package, over real HTTP against a live server
on the test database: the buyer's, the supplier's and finance's main flows, and a problem+json error parsed
into its typed model.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from pharmex.choices import StaffRole
from settlements.models import Receivable
from tests.contract.schema import openapi_document
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.factories.accounts import PASSWORD
from tests.factories.settlements import received_order

pytestmark = pytest.mark.slow

PACKAGE = "pharmex_client"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The generated client package, imported from a temporary folder."""
    folder = tmp_path_factory.mktemp("generated")
    schema_file = folder / "openapi.json"
    schema_file.write_text(json.dumps(openapi_document()), encoding="utf-8")
    config = folder / "config.json"
    # No formatter run: the code is only imported. PDFs (the delivery note) are binary downloads to the generator.
    config.write_text(
        json.dumps({"post_hooks": [], "content_type_overrides": {"application/pdf": "application/octet-stream"}})
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(schema_file),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert all(path.name.isascii() for path in (folder / PACKAGE).rglob("*"))
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def _signed_in(api, base_url: str, email: str):
    """token → an AuthenticatedClient, as an integrator signs in."""
    token_create = _module("api.auth.auth_token_create")
    models = _module("models")
    anonymous = api.Client(base_url=base_url, raise_on_unexpected_status=True)
    pair = token_create.sync(client=anonymous, body=models.TokenObtainInputRequest(email=email, password=PASSWORD))
    assert isinstance(pair, models.TokenPairOutput), pair
    return api.AuthenticatedClient(base_url=base_url, token=pair.access, raise_on_unexpected_status=True)


@pytest.fixture
def market(transactional_db):
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南康泰医药有限公司")
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口康宁大药房")
    drug = DrugFactory(generic_name="阿莫西林胶囊", specification="0.25g", package="24粒/盒")
    return {
        "supplier": supplier,
        "buyer": buyer,
        "drug": drug,
        "offer": OfferFactory(supplier=supplier, drug=drug, unit_price=Decimal("12.35"), stock=100),
        "supplier_user": MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user,
        "buyer_user": MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user,
    }


def test_buyer_flow_token_search_order_replay_read(api, live_server, market):
    models = _module("models")
    drugs_list = _module("api.drugs.drugs_list")
    drugs_offers_list = _module("api.drugs.drugs_offers_list")
    orders_create = _module("api.orders.orders_create")
    orders_retrieve = _module("api.orders.orders_retrieve")
    orders_list = _module("api.orders.orders_list")
    client = _signed_in(api, live_server.url, market["buyer_user"].email)

    # search the catalogue, then the drug's market
    found = drugs_list.sync(client=client, search="阿莫西林")
    assert [drug.id for drug in found.results] == [market["drug"].pk]
    offers = drugs_offers_list.sync(found.results[0].id, client=client)
    offer = offers.results[0]
    assert offer.unit_price == "12.35" and offer.currency == "CNY"

    # place an order with an Idempotency-Key, then retry it with the same key
    body = models.OrderPlaceInputRequest(lines=[models.OrderLineInputRequest(offer_id=offer.id, quantity=3)])
    key = str(uuid.uuid4())
    first = orders_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert first.status_code == 201
    order = first.parsed
    assert isinstance(order, models.OrderOutput)
    assert order.status == "placed" and order.total_gross == "37.05" and order.placed_at is not None
    assert first.headers["ETag"] and "Idempotent-Replayed" not in first.headers
    replay = orders_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.parsed.id == order.id

    # read it back, alone and in the list; the list's `next` leads on with its cursor
    read = orders_retrieve.sync_detailed(str(order.id), client=client)
    assert read.parsed.number == order.number and read.headers["ETag"] == first.headers["ETag"]
    orders_create.sync(client=client, body=body)  # a second order: the list has two pages of one
    page = orders_list.sync(client=client, page_size=1)
    following = orders_list.sync(client=client, page_size=1, cursor=_cursor(page.next_))
    assert [o.id for o in following.results] == [order.id] and following.next_ is None


def test_supplier_flow_offer_confirm_ship(api, live_server, market):
    models = _module("models")
    offers_create = _module("api.offers.offers_create")
    orders_create = _module("api.orders.orders_create")
    orders_confirm = _module("api.orders.orders_confirm_create")
    orders_ship = _module("api.orders.orders_ship_create")
    supplier = _signed_in(api, live_server.url, market["supplier_user"].email)
    buyer = _signed_in(api, live_server.url, market["buyer_user"].email)
    drug = DrugFactory(generic_name="布洛芬缓释胶囊")

    # the supplier lists a new offer
    created = offers_create.sync_detailed(
        client=supplier,
        body=models.OfferCreateInputRequest(drug=drug.pk, unit_price="8.80", stock=50),
        idempotency_key=str(uuid.uuid4()),
    )
    assert created.status_code == 201, created.content
    offer = created.parsed
    assert offer.status == "active" and offer.unit_price == "8.80" and offer.vat_rate == "0.13"

    # a buyer orders it; the supplier confirms with If-Match, then ships
    order = orders_create.sync(
        client=buyer,
        body=models.OrderPlaceInputRequest(lines=[models.OrderLineInputRequest(offer_id=offer.id, quantity=2)]),
    )
    confirmed = orders_confirm.sync_detailed(
        str(order.id), client=supplier, body=models.NoteInputRequest(note="备货中"), if_match=f'"{"0" * 32}"'
    )
    assert confirmed.status_code == 412  # a stale version is refused …
    assert isinstance(confirmed.parsed, models.Problem) and confirmed.parsed.status == 412
    etag = confirmed.parsed.detail.split("Current ETag is ", 1)[1].split(";", 1)[0]
    confirmed = orders_confirm.sync_detailed(
        str(order.id), client=supplier, body=models.NoteInputRequest(), if_match=etag
    )
    assert confirmed.status_code == 200 and confirmed.parsed.status == "confirmed"
    line = confirmed.parsed.lines[0]
    shipped = orders_ship.sync(
        str(order.id),
        client=supplier,
        body=models.ShipInputRequest(
            carrier="顺丰速运",
            tracking_number="SF1234567890",
            invoice_numbers=["24460000000000000001"],
            invoice_amount=confirmed.parsed.total_gross,
            lines=[
                models.ShipLineInputRequest(
                    order_line_id=line.id,
                    lot_number="L20260101",
                    expiry_date=timezone.localdate() + timedelta(days=720),
                    quantity=2,
                )
            ],
        ),
        if_match=confirmed.headers["ETag"],
    )
    assert isinstance(shipped, models.OrderOutput), shipped
    assert shipped.status == "shipped" and shipped.shipped_at is not None


def test_finance_flow_payment_statement_payout(api, live_server, market):
    models = _module("models")
    payments_create = _module("api.payments.payments_create")
    generate = _module("api.settlements.settlements_generate_create")
    issue = _module("api.settlements.settlements_issue_create")
    approve = _module("api.settlements.settlements_approve_create")
    pay = _module("api.settlements.settlements_pay_create")
    finance = UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True)
    client = _signed_in(api, live_server.url, finance.email)
    order = received_order(buyer=market["buyer"], supplier=market["supplier"], gross="1000.00")  # delivered

    # the buyer's money arrives
    payment = payments_create.sync_detailed(
        client=client,
        body=models.PaymentRecordInputRequest(
            buyer_id=market["buyer"].pk, amount="1000.00", value_date=timezone.localdate(), reference=order.number
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert payment.status_code == 201, payment.content
    assert payment.parsed.unallocated == "0.00" and payment.parsed.allocations[0].order == order.pk

    # the order was paid last period (statements cover closed periods only)
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    Receivable.objects.filter(order=order).update(paid_at=timezone.now().replace(day=1) - timedelta(days=2))
    statements = generate.sync(
        client=client,
        body=models.StatementGenerateInputRequest(period_kind=models.StatementPeriodEnum.MONTH, day=last_month),
    )
    [statement] = [s for s in statements if s.supplier == market["supplier"].pk]
    assert statement.status == "draft" and statement.gross == "1000.00"
    assert issue.sync(statement.id, client=client).status == "issued"
    statement = approve.sync(statement.id, client=client)
    assert statement.status == "approved"
    paid = pay.sync(
        statement.id,
        client=client,
        body=models.PayInputRequest(
            amount=statement.net, bank_reference="BOC-20260101-001", paid_on=timezone.localdate()
        ),
    )
    assert paid.status == "paid" and paid.payout.amount == statement.net and paid.payout.currency == "CNY"


def test_a_problem_parses_into_its_typed_model(api, live_server, market):
    models = _module("models")
    orders_create = _module("api.orders.orders_create")
    client = _signed_in(api, live_server.url, market["buyer_user"].email)

    response = orders_create.sync_detailed(
        client=client,
        body=models.OrderPlaceInputRequest(
            lines=[models.OrderLineInputRequest(offer_id=market["offer"].pk, quantity=0)]
        ),
    )

    assert response.status_code == 400
    problem = response.parsed
    assert isinstance(problem, models.Problem)
    assert problem.status == 400 and problem.type_.endswith("/validation-error")
    assert [(error.field, error.code) for error in problem.errors] == [("lines[0].quantity", "min_value")]


def _cursor(url: str | None) -> str | None:
    return parse_qs(urlsplit(url).query)["cursor"][0] if url else None
