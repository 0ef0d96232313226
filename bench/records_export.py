"""GSP records export benchmark (not a test): 1,000,000 purchase records streamed as CSV (and a tenth of them as
XLSX) through the API's view, with the peak resident memory (VmHWM) of the process before and after (issue 17).

    .venv/bin/python bench/records_export.py       # database records_bench on the DATABASE_URL server

The database named by BENCH_DATABASE (records_bench) is dropped and re-created and migrated; one order with one
line, one shipment and BENCH_RECORDS (1,000,000) received shipment lines is seeded in SQL (each line a record). The
export is then read through Django's test client, chunk by chunk, as a client would download it; memory stays flat
when the peak after streaming a million rows is close to the peak after streaming a thousand.

Results go to stdout (copy them into BENCHMARKS.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
os.environ.setdefault("THROTTLE_RATE_PRINCIPAL", "10000000/min")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
N_RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
DATABASE = os.environ.get("BENCH_DATABASE", "records_bench")


def memory_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def recreate_database() -> None:
    import psycopg

    parsed = urlparse(os.environ["DATABASE_URL"])
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{DATABASE}"))
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)


def seed():
    """A buyer with an owner, a supplier, one received order whose one shipment has N_RECORDS accepted lines."""
    import django

    django.setup()
    from django.utils import timezone

    from accounts.choices import MemberRole, OrganizationKind
    from orders.models import Order, OrderLine
    from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory

    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="=海口康宁大药房")  # neutralised
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南康泰医药有限公司")
    owner = MembershipFactory(organization=buyer, role=MemberRole.OWNER).user
    offer = OfferFactory(supplier=supplier, drug=DrugFactory())
    now = timezone.now()
    order = Order.objects.create(
        number="PX2026120100000001",
        buyer=buyer,
        supplier=supplier,
        buyer_name=buyer.legal_name,
        supplier_name=supplier.legal_name,
        supplier_license_number="琼AA000001",
        status="received",
        placed_by=owner.email,
        total_gross="1.00",
        total_tax="0.12",
        buyer_province="460000",
        expires_at=now,
        received_at=now,
    )
    drug = offer.drug
    line = OrderLine.objects.create(
        order=order,
        line_no=1,
        offer=offer,
        drug=drug,
        drug_name=drug.generic_name,
        dosage_form=drug.dosage_form,
        specification=drug.specification,
        package=drug.package,
        manufacturer_name=drug.manufacturer_name,
        approval_number=drug.approval_number,
        sale_unit=drug.sale_unit,
        unit_price="12.35",
        vat_rate="0.13",
        quantity=N_RECORDS,
        line_gross="1.00",
        line_tax="0.12",
    )
    for sequence, (received_at, count) in enumerate(((now, N_RECORDS), (now - timedelta(days=1), N_RECORDS // 10)), 1):
        _shipment(order, line, owner, sequence, received_at, count)
    return owner, timezone.localdate(now), timezone.localdate(now - timedelta(days=1))


def _shipment(order, line, owner, sequence, received_at, count) -> None:
    """A received shipment of `count` accepted lines (one lot each) of the order's line, seeded in SQL."""
    from django.db import connection

    from orders.models import Shipment

    shipment = Shipment.objects.create(
        order=order,
        sequence=sequence,
        supplier=order.supplier,
        buyer=order.buyer,
        status="received",
        carrier="顺丰速运",
        tracking_number="SF1",
        invoice_numbers=["26460000000000000001"],
        invoice_amount="1.00",
        gross="1.00",
        shipped_by="supplier@pharmex.example",
        received_by=owner.email,
        received_at=received_at,
    )
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # seeding a million rows is one long statement
        cursor.execute(
            """
            INSERT INTO orders_shipmentline
                (shipment_id, order_line_id, drug_id, lot_number, lot_key, expiry_date, quantity,
                 accepted_quantity, rejected_quantity, rejection_reason)
            SELECT %s, %s, %s, 'L' || n, 'L' || n, DATE '2028-06-30', 1 + n %% 7, 1 + n %% 7, 0, ''
            FROM generate_series(1, %s) AS n
            """,
            [shipment.pk, line.pk, line.drug_id, count],
        )
        cursor.execute("ANALYZE orders_shipmentline")


def stream(client, day, file_format: str, limit: int | None = None) -> tuple[int, int, float]:
    """Download the export; returns (bytes, records, seconds)."""
    query = {"date_from": day.isoformat(), "date_to": day.isoformat(), "file_format": file_format}
    started = time.perf_counter()
    response = client.get("/api/v1/records/purchases/export/", query, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines - 1, time.perf_counter() - started


def main() -> None:
    recreate_database()
    seeded_at = time.perf_counter()
    owner, today, yesterday = seed()
    print(f"seeded {N_RECORDS:,} records in {time.perf_counter() - seeded_at:.1f} s")

    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(owner)}")
    baseline = memory_mb("VmHWM")
    print(f"peak RSS before any export: {baseline:.1f} MiB")
    print("| export | records | MiB | seconds | records/s | peak RSS MiB | peak growth MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    # XLSX is slower (openpyxl writes every cell): yesterday's shipment, a tenth of the records.
    for file_format, day, shown in (("csv", today, N_RECORDS), ("xlsx", yesterday, N_RECORDS // 10)):
        before = memory_mb("VmHWM")
        size, records, seconds = stream(client, day, file_format)
        peak = memory_mb("VmHWM")
        if file_format == "csv":
            assert records == shown, (records, shown)
        print(
            f"| {file_format} | {shown:,} | {size / 2**20:.1f} | {seconds:.1f} | {shown / seconds:,.0f} | "
            f"{peak:.1f} | {peak - before:+.1f} |"
        )


if __name__ == "__main__":
    main()
