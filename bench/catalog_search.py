"""Catalogue search benchmark (not a test): seeds 100,000 drugs and 300,000 offers by COPY, serves the API
with gunicorn, drives `?search=` with a realistic mix at 8 concurrent clients and, in the same run, the floor
(a plain 50-row drug list by primary-key range); then times a 100,000-row offer import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/catalog_bench .venv/bin/python bench/catalog_search.py

The database named in DATABASE_URL is dropped and re-created. Results go to stdout (copy them into BENCHMARKS.md).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATA = BASE_DIR.parent / "shared" / "data"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
CLIENTS, DURATION = 8, float(os.environ.get("BENCH_SECONDS", "30"))
N_DRUGS, N_OFFERS, N_SUPPLIERS = 100_000, 300_000, 100
FORMS = ["片", "胶囊", "注射液", "颗粒", "缓释片", "分散片", "肠溶片", "口服溶液", "软膏", "滴眼液"]
FORM_VALUES = {"片": "tablet", "胶囊": "capsule", "注射液": "injection", "颗粒": "granule", "缓释片": "tablet",
               "分散片": "tablet", "肠溶片": "tablet", "口服溶液": "oral_solution", "软膏": "ointment",
               "滴眼液": "eye_drops"}  # fmt: skip
SPECS = ["0.1g", "0.25g", "0.5g", "5mg", "10mg", "20mg", "2ml:4mg", "100ml", "10g"]
random.seed(42)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
os.environ.setdefault("THROTTLE_RATE_PRINCIPAL", "10000000/min")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # the import is run inline; its queued task goes nowhere


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = url.replace(parsed.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
        )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
        subprocess.run([*manage, *command], cwd=BASE_DIR, check=True)


def base_names() -> list[str]:
    """Real generic-name stems from the reference data (the benchmark runs only where it is present)."""
    stems = set()
    for row in csv.DictReader((DATA / "originator_brands_cn.csv").open(encoding="utf-8")):
        stems.add(row["generic_name"])
    for row in csv.DictReader((DATA / "nhsa_drug_codes_restricted.csv").open(encoding="utf-8")):
        stems.add(row["generic_name"])
    for suffix in sorted(FORMS, key=len, reverse=True):
        stems = {s[: -len(suffix)] if s.endswith(suffix) and len(s) > len(suffix) + 1 else s for s in stems}
    return sorted(s for s in stems if 2 <= len(s) <= 12)


def seed() -> tuple[list[dict], int]:
    import django

    django.setup()
    from django.db import connection

    from accounts.choices import MemberRole, OrganizationKind
    from accounts.models import Membership, User
    from catalog.pinyin import initials, name_grams
    from tests.factories.accounts import LicenseFactory, OrganizationFactory

    suppliers = [OrganizationFactory(trading=False, kind=OrganizationKind.DISTRIBUTOR) for _ in range(N_SUPPLIERS + 1)]
    for supplier in suppliers:
        LicenseFactory(organization=supplier, scope_tags=["chemical", "tcm", "biologics", "cold_chain", "rx", "otc"])
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    user = User.objects.create_user("bench.buyer@pharmex.example", "bench-password-1")
    Membership.objects.create(user=user, organization=buyer, role=MemberRole.OPERATOR)
    importer = User.objects.create_user("bench.supplier@pharmex.example", "bench-password-1")
    Membership.objects.create(user=importer, organization=suppliers[-1], role=MemberRole.OPERATOR)
    stems = base_names()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # bulk seeding only; the server keeps its own timeout
    drugs, started = [], time.monotonic()
    columns = ("id, approval_number, approval_format, generic_name, brand_name, english_name, dosage_form, "
               "specification, package, sale_unit, min_unit, units_per_pack, mah_name, manufacturer_name, drug_type, "
               "category, special_class, storage, national_drug_code, atc_code, nrdl_code, nrdl_class, gtin, currency, "
               "status, status_note, generic_initials, brand_initials, name_grams, created_at, updated_at, "
               "restricted_class, simplified_vat_class, market_exit_reason")  # fmt: skip
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY catalog_drug ({columns}) FROM STDIN") as copy:
        for n in range(1, N_DRUGS + 1):
            form = random.choice(FORMS)
            name = random.choice(stems) + form
            brand = random.choice(stems)[:3] + "宁" if n % 4 == 0 else ""
            row = {"id": n, "generic_name": name, "approval_number": f"国药准字H{19000000 + n:08d}",
                   "brand_name": brand, "dosage_form": FORM_VALUES[form], "initials": initials(name)}  # fmt: skip
            drugs.append(row)
            copy.write_row((n, row["approval_number"], "nmpa_legacy", name, brand, "", row["dosage_form"],
                            random.choice(SPECS), f"{random.choice([10, 12, 24, 36])}片/盒", "盒", "片", 24, "",
                            f"测试制药{n % 700}有限公司", "chemical", "rx", "none", "ambient", "", "", "", "", "",
                            "CNY", "active", "", row["initials"], initials(brand), name_grams(name, brand),
                            "2026-01-01", "2026-01-01", "none", "", ""))  # fmt: skip
        print(f"copied {N_DRUGS:,} drugs in {time.monotonic() - started:.1f} s", flush=True)
    started = time.monotonic()
    offer_cols = ("supplier_id, drug_id, unit_price, currency, vat_rate, stock, min_order_quantity, order_multiple, "
                  "lead_time_days, provinces, status, created_at, updated_at")  # fmt: skip
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY catalog_offer ({offer_cols}) FROM STDIN") as copy:
        for n in range(N_OFFERS):
            drug_id = n % N_DRUGS + 1
            supplier = suppliers[(n // N_DRUGS * 37 + drug_id) % N_SUPPLIERS]
            copy.write_row((supplier.pk, drug_id, f"{random.uniform(2, 500):.2f}", "CNY", "0.13",
                            random.randint(0, 5000), 1, 1, 2, [], "active" if n % 10 else "paused",
                            "2026-01-01", "2026-01-01"))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_drug', 'id'), %s)", [N_DRUGS])
        cursor.execute("ANALYZE accounts_organization")
        cursor.execute("ANALYZE accounts_license")
        cursor.execute("VACUUM ANALYZE catalog_drug")
        cursor.execute("VACUUM ANALYZE catalog_offer")
    print(f"copied {N_OFFERS:,} offers in {time.monotonic() - started:.1f} s", flush=True)
    return drugs, suppliers[-1].pk


def search_mix(drugs: list[dict], count: int) -> list[str]:
    """Pinyin initials, 2-character and longer Chinese names, approval numbers; some with filters."""
    queries = []
    for i in range(count):
        drug = random.choice(drugs)
        kind = i % 10
        if kind in (0, 1, 2):
            params = {"search": drug["initials"][: random.randint(2, 4)]}
        elif kind in (3, 4):
            start = random.randint(0, max(0, len(drug["generic_name"]) - 2))
            params = {"search": drug["generic_name"][start : start + 2]}
        elif kind in (5, 6, 7):
            params = {"search": drug["generic_name"][: random.randint(3, len(drug["generic_name"]))]}
        else:
            params = {"search": drug["approval_number"] if kind == 8 else drug["approval_number"][4:]}
        if i % 4 == 0:
            params["dosage_form"] = drug["dosage_form"]
        if i % 7 == 0:
            params["has_offers"] = "true"
        queries.append("/api/v1/drugs/?" + urlencode(params))
    return queries


def floor_mix(count: int) -> list[str]:
    starts = [random.randint(1, N_DRUGS - 50) for _ in range(count)]
    return [f"/api/v1/drugs/?id_gte={s}&id_lt={s + 50}&page_size=50" for s in starts]


def token() -> str:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    body = json.dumps({"email": "bench.buyer@pharmex.example", "password": "bench-password-1"})
    conn.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())["access"]


def drive(paths: list[str], access: str, seconds: float) -> dict:
    timed: list[tuple[float, str]] = []
    failures = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine, i = [], offset
        while time.monotonic() < deadline and i < len(paths):
            started = time.perf_counter()
            conn.request("GET", paths[i], headers={"Authorization": f"Bearer {access}"})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started, paths[i]))
            if response.status != 200:
                failures.append((paths[i], response.status))
            i += CLIENTS
        with lock:
            timed.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(seconds for seconds, _ in timed)
    return {
        "requests": len(latencies),
        "failures": len(failures),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": _p95(latencies) * 1000,
        "timed": timed,
    }


def _p95(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.95) - 1)]


def search_kind(path: str) -> str:
    """The kind of a search_mix() query, for the per-kind breakdown."""
    params = parse_qs(urlparse(path).query)
    text = params["search"][0]
    if any(char.isdigit() for char in text):
        kind = "code"
    elif text.isascii():
        kind = "pinyin"
    else:
        kind = "1-2 chars" if len(text) <= 2 else "3+ chars"
    extras = [name for name in ("dosage_form", "has_offers") if name in params]
    return kind + (" + " + " + ".join(extras) if extras else "")


def print_search_kinds(search: dict) -> None:
    groups: dict[str, list[float]] = {}
    for seconds, path in search["timed"]:
        groups.setdefault(search_kind(path), []).append(seconds * 1000)
    for kind, values in sorted(groups.items()):
        values.sort()
        print(f"  {kind:32} {len(values):5,} requests, p50 {statistics.median(values):6.1f} ms, "
              f"p95 {_p95(values):6.1f} ms")  # fmt: skip


def time_import(supplier_id: int) -> None:
    from accounts.actor import actor_for_user
    from accounts.models import User
    from catalog.choices import ImportKind
    from catalog.services.imports import import_job_create, import_job_run

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["drug_id", "unit_price", "stock", "vat_rate", "provinces"])
    for drug_id in range(1, N_DRUGS + 1):
        writer.writerow([drug_id, f"{random.uniform(2, 500):.2f}", random.randint(0, 900), "0.13", "460000;440000"])
    content = buffer.getvalue().encode()
    actor = actor_for_user(User.objects.get(email="bench.supplier@pharmex.example"))
    for label in ("first import (creates)", "same file again (no-op)"):
        started = time.monotonic()
        job = import_job_create(actor=actor, kind=ImportKind.OFFERS, file_name="bench.csv", file=io.BytesIO(content))
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
        print(f"import {label}: {time.monotonic() - started:.1f} s, {job.total_rows:,} rows, created "
              f"{job.created_count:,}, updated {job.updated_count:,}, unchanged {job.unchanged_count:,}, "
              f"failed {job.failed_count:,}", flush=True)  # fmt: skip


def main() -> None:
    url = os.environ["DATABASE_URL"]
    recreate_database(url)
    drugs, importer_supplier = seed()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "pharmex.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "5", "--log-level", "warning"],
        cwd=BASE_DIR, env={**os.environ, "BROWSABLE_API": "false"},
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                access = token()
                break
            except (OSError, KeyError, json.JSONDecodeError):
                time.sleep(0.3)
        drive(floor_mix(400), access, 5)  # warm-up: every worker connects and loads
        drive(search_mix(drugs, 400), access, 5)
        floor = drive(floor_mix(200_000), access, DURATION)
        search = drive(search_mix(drugs, 200_000), access, DURATION)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name, result in (("floor: 50-row drug list by pk range", floor), ("search: realistic mix", search)):
        print(f"{name}: {result['requests']:,} requests, {result['failures']} non-200, {result['rps']:.1f} req/s, "
              f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms")  # fmt: skip
    print(f"ratios search/floor: p50 {search['p50_ms'] / floor['p50_ms']:.2f}x, p95 "
          f"{search['p95_ms'] / floor['p95_ms']:.2f}x, throughput {search['rps'] / floor['rps']:.2f}x")  # fmt: skip
    print("search by kind:")
    print_search_kinds(search)
    time_import(importer_supplier)


if __name__ == "__main__":
    main()
