"""Cold-chain evidence (SPEC §5): a shipment of 冷藏 (2–8 °C) or 冷冻 (−25 to −15 °C) drugs carries its logger's
record; a missing record or a reading out of range flags the shipment and lets the buyer reject those lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import License
from catalog.choices import Storage
from orders.cold_chain import flag_for, readings_from_csv
from orders.models import Order, Shipment, TemperatureRecord
from pharmex.errors import InvalidInput
from tests.factories import DrugFactory, OfferFactory
from tests.orders.conftest import place
from tests.orders.shipping import receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db

IN_RANGE = b"time,celsius\n2026-12-05T08:00:00+08:00,4.5\n2026-12-05T08:05:00+08:00,2.0\n2026-12-05T08:10:00+08:00,8\n"


@pytest.fixture
def cold(market):
    """The buyer licensed for cold-chain drugs; a 冷藏 vaccine and a 冷冻 plasma product on offer."""
    License.objects.filter(organization=market.buyer).update(scope_tags=["chemical", "rx", "otc", "cold_chain"])
    refrigerated = OfferFactory(
        supplier=market.supplier, drug=DrugFactory(generic_name="人用狂犬病疫苗", storage=Storage.COLD_CHAIN)
    )
    frozen = OfferFactory(
        supplier=market.supplier, drug=DrugFactory(generic_name="新鲜冰冻血浆", storage=Storage.FROZEN)
    )
    return refrigerated, frozen


def confirmed_order(market, *lines) -> Order:
    response = place(market.buyer_client(), *lines)
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    assert market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def ship_all(market, order: Order, **extra) -> Shipment:
    response = ship(market.supplier_client(), order, shipment_body(order, **extra))
    assert response.status_code == 200, response.json()
    return Shipment.objects.filter(order=order).latest("sequence")


def summary(low: str, high: str, logger: str = "LOGGER-7") -> dict:
    return {"temperature_record": {"logger_id": logger, "min_celsius": low, "max_celsius": high}}


def cold_chain_of(client, shipment: Shipment) -> dict:
    response = client.get(f"/api/v1/shipments/{shipment.pk}/")
    assert response.status_code == 200, response.json()
    return response.json()["cold_chain"]


def upload(client, shipment: Shipment, content: bytes, name: str = "logger.csv"):
    return client.post(
        f"/api/v1/shipments/{shipment.pk}/temperature-record/",
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        format="multipart",
    )


def test_a_cold_chain_shipment_without_a_record_is_flagged_and_its_lines_rejectable(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 2), (market.offer.pk, 3))
    shipment = ship_all(market, order)
    cold_line = shipment.lines.get(drug=refrigerated.drug)

    assert cold_chain_of(market.buyer_client(), shipment) == {
        "required": True,
        "flag": "record_missing",
        "rejectable_lines": [cold_line.pk],  # the ambient line is not the logger's business
        "record": None,
    }
    assert cold_chain_of(market.supplier_client(), shipment)["flag"] == "record_missing"

    response = receive(
        market.buyer_client(),
        shipment,
        receipt(shipment, rejected={cold_line.pk: (2, [])}, reason="temperature_excursion"),
    )
    assert response.status_code == 200, response.json()
    cold_line.refresh_from_db()
    assert (cold_line.accepted_quantity, cold_line.rejected_quantity, cold_line.rejection_reason) == (
        0,
        2,
        "temperature_excursion",
    )
    assert response.json()["shipment"]["accepted_gross"] == "37.05"  # the ambient 3 × 12.35 alone


@pytest.mark.parametrize(
    ("storage", "low", "high", "flag"),
    [
        ("refrigerated", "2.00", "8.00", ""),  # the range's ends are in it
        ("refrigerated", "3.10", "7.20", ""),
        ("refrigerated", "1.99", "6.00", "temperature_excursion"),
        ("refrigerated", "4.00", "8.01", "temperature_excursion"),
        ("refrigerated", "-20.00", "-18.00", "temperature_excursion"),  # frozen is not refrigerated
        ("frozen", "-25.00", "-15.00", ""),
        ("frozen", "-22.00", "-14.99", "temperature_excursion"),
        ("frozen", "-25.01", "-20.00", "temperature_excursion"),
        ("frozen", "3.00", "6.00", "temperature_excursion"),
    ],
)
def test_the_summary_is_checked_against_the_drugs_storage_range(market, cold, storage, low, high, flag):
    refrigerated, frozen = cold
    offer = refrigerated if storage == "refrigerated" else frozen
    order = confirmed_order(market, (offer.pk, 1))

    shipment = ship_all(market, order, **summary(low, high))

    chain = cold_chain_of(market.buyer_client(), shipment)
    assert (chain["required"], chain["flag"]) == (True, flag)
    assert chain["rejectable_lines"] == ([shipment.lines.get().pk] if flag else [])
    assert {k: chain["record"][k] for k in ("logger_id", "min_celsius", "max_celsius", "source", "readings_count")} == {
        "logger_id": "LOGGER-7",
        "min_celsius": low,
        "max_celsius": high,
        "source": "summary",
        "readings_count": 0,
    }


def test_an_ambient_shipment_needs_no_record(market):
    order = confirmed_order(market, (market.offer.pk, 1))
    shipment = ship_all(market, order)
    assert cold_chain_of(market.buyer_client(), shipment) == {
        "required": False,
        "flag": "",
        "rejectable_lines": [],
        "record": None,
    }


def test_a_summary_with_the_minimum_above_the_maximum_is_refused(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    response = ship(market.supplier_client(), order, shipment_body(order, **summary("6.00", "4.00")))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["temperature_record.min_celsius"]
    assert not Shipment.objects.exists()


def test_the_supplier_uploads_the_loggers_readings_once(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)

    response = upload(market.supplier_client(), shipment, IN_RANGE)

    assert response.status_code == 200, response.json()
    chain = response.json()["cold_chain"]
    assert (chain["flag"], chain["rejectable_lines"]) == ("", [])
    assert {k: chain["record"][k] for k in ("logger_id", "min_celsius", "max_celsius", "source", "readings_count")} == {
        "logger_id": "",
        "min_celsius": "2.00",
        "max_celsius": "8.00",
        "source": "readings",
        "readings_count": 3,
    }
    assert cold_chain_of(market.buyer_client(), shipment) == chain
    record = TemperatureRecord.objects.get(shipment=shipment)
    assert record.readings == [
        ["2026-12-05T08:00:00+08:00", "4.5"],
        ["2026-12-05T08:05:00+08:00", "2.0"],
        ["2026-12-05T08:10:00+08:00", "8"],
    ]

    again = upload(market.supplier_client(), shipment, b"2026-12-05T09:00:00+08:00,30\n")
    assert (again.status_code, again.json()["code"]) == (409, "temperature_record_exists")
    shipment.refresh_from_db()
    assert shipment.temperature_flag == ""
    assert TemperatureRecord.objects.get(shipment=shipment).max_celsius == Decimal("8.00")


def test_one_reading_out_of_range_flags_the_shipment(market, cold):
    _, frozen = cold
    order = confirmed_order(market, (frozen.pk, 1))
    shipment = ship_all(market, order)
    readings = b"\xef\xbb\xbf2026-12-05T08:00:00Z,-20.5\r\n2026-12-05T08:01:00Z,-12.25\r\n2026-12-05T08:02:00Z,-19\r\n"

    response = upload(market.supplier_client(), shipment, readings)

    assert response.status_code == 200, response.json()
    chain = response.json()["cold_chain"]
    assert (chain["flag"], chain["rejectable_lines"]) == ("temperature_excursion", [shipment.lines.get().pk])
    assert (chain["record"]["min_celsius"], chain["record"]["max_celsius"]) == ("-20.50", "-12.25")


def test_a_shipment_shipped_with_its_summary_takes_no_readings(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order, **summary("3.00", "5.00"))
    response = upload(market.supplier_client(), shipment, IN_RANGE)
    assert (response.status_code, response.json()["code"]) == (409, "temperature_record_exists")


def test_no_record_after_receipt(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)
    assert receive(market.buyer_client(), shipment).status_code == 200

    response = upload(market.supplier_client(), shipment, IN_RANGE)

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert not TemperatureRecord.objects.exists()


def test_only_the_supplier_uploads(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)
    response = upload(market.buyer_client(), shipment, IN_RANGE)
    assert (response.status_code, response.json()["detail"]) == (403, "Only the supplier may do this.")
    assert not TemperatureRecord.objects.exists()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "empty"),
        (b"time,celsius\n", "empty"),
        (b"time,celsius\n2026-12-05T08:00:00+08:00,warm\n", "invalid_row"),
        (b"time,celsius\n2026-12-05T08:00:00,4.0\n", "invalid_row"),  # a time without its offset
        (b"time,celsius\nyesterday,4.0\n", "invalid_row"),
        (b"time,celsius\n2026-12-05T08:00:00+08:00,NaN\n", "invalid_row"),
        (b"time,celsius\n2026-12-05T08:00:00+08:00,150\n", "invalid_row"),
        (b"time,celsius\n2026-12-05T08:00:00+08:00\n", "invalid_row"),
        (b"time,celsius\n2026-12-05T08:00:00+08:00,4.5\n\xff\xfe", "encoding"),
        # a decimal comma splits the reading in two: 4,5 must not be read as 4
        (b"time,celsius\n2026-12-05T08:00:00+08:00,4,5\n", "invalid_row"),
        # a bad first reading is not a header row to skip
        (b"2026-12-05T08:00:00,30\n2026-12-05T08:05:00+08:00,4\n", "invalid_row"),
    ],
)
def test_a_file_that_is_not_time_celsius_readings_is_refused(market, cold, content, error):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)

    response = upload(market.supplier_client(), shipment, content)

    assert response.status_code == 400, response.json()
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", error)]
    shipment.refresh_from_db()
    assert (shipment.temperature_flag, TemperatureRecord.objects.exists()) == ("record_missing", False)


def test_a_request_without_a_file_is_refused(market, cold):
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)
    response = market.supplier_client().post(
        f"/api/v1/shipments/{shipment.pk}/temperature-record/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", "required")]
    json_body = market.supplier_client().post(
        f"/api/v1/shipments/{shipment.pk}/temperature-record/", {"file": "x"}, format="json"
    )
    assert json_body.status_code == 415


@pytest.mark.parametrize("size", [64 * 1024, 1024 + 100])  # refused by Content-Length, and while streaming
def test_an_oversized_record_is_refused(market, cold, settings, size):
    settings.TEMPERATURE_RECORD_MAX_BYTES = 1024
    refrigerated, _ = cold
    order = confirmed_order(market, (refrigerated.pk, 1))
    shipment = ship_all(market, order)
    line = b"2026-12-05T08:00:00+08:00,4.5\n"
    content = line * (size // len(line) + 1)

    response = upload(market.supplier_client(), shipment, content)

    assert (response.status_code, response.json()["type"].rsplit("/", 1)[-1]) == (413, "payload-too-large")
    assert not TemperatureRecord.objects.exists()
    assert upload(market.supplier_client(), shipment, IN_RANGE).status_code == 200  # a file under the limit


def test_the_flag_for_a_shipment_of_both_ranges():
    both = [Storage.COLD_CHAIN, Storage.FROZEN, Storage.AMBIENT]
    assert flag_for(storages=both, minimum=None, maximum=None) == "record_missing"
    # one logger cannot show a frozen and a refrigerated drug both in range
    assert flag_for(storages=both, minimum=Decimal("-20"), maximum=Decimal("5")) == "temperature_excursion"
    assert flag_for(storages=[Storage.AMBIENT, Storage.COOL], minimum=None, maximum=None) == ""


def test_a_header_row_is_optional_and_blank_lines_are_skipped():
    assert readings_from_csv(b"2026-12-05T08:00:00+08:00,4.5\n\n2026-12-05T08:05:00+08:00, 5 \n") == [
        (readings_from_csv(b"2026-12-05T08:00:00+08:00,4.5")[0][0], Decimal("4.5")),
        (readings_from_csv(b"2026-12-05T08:05:00+08:00,5")[0][0], Decimal("5")),
    ]
    with pytest.raises(InvalidInput):
        readings_from_csv(b"time,celsius\ntime,celsius\n")
