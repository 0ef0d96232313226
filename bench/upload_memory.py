"""Upload memory benchmark (not a test): peak resident memory (VmHWM) and time of the processes an upload goes
through, each measured in a fresh process of its own (issue 10).

    .venv/bin/python bench/upload_memory.py                  # the embedded server, database upload_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/upload_bench .venv/bin/python bench/upload_memory.py

The database named in DATABASE_URL is dropped and re-created; BENCH_ROWS (100,000) drugs are seeded by COPY.
It measures:

1. the worker (`import_job_run`, the Celery task body) importing a valid XLSX of BENCH_ROWS offer rows (by
   approval number, so its shared-strings table holds BENCH_ROWS texts, as a supplier's Excel file does), then
   the same rows as CSV, then once more with tracemalloc for the peak of the Python heap;
2. the request path (pharmex.wsgi with the body streamed from disk, as a server hands it over: middleware, DRF,
   the upload handler, the service) refusing the 125 KB shared-strings bomb, and, for contrast, what the request
   did with it before: openpyxl opening it and counting its rows;
3. the request path accepting the valid XLSX (stored in the job's row: the file is in memory once);
4. a bank statement of BENCH_BANK_LINES (20,000) lines: the request (stores it) and the worker (parses, stores
   and matches the lines);
5. gunicorn (gthread) answering a POST that announces 100 MiB: the 413 comes before the body is sent, and the
   server closes the connection instead of reading the rest.

Results go to stdout (copy them into BENCHMARKS.md).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
os.environ.setdefault("THROTTLE_RATE_PRINCIPAL", "10000000/min")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # tasks run here in-process; the queued message goes nowhere
N_ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
BANK_LINES = int(os.environ.get("BENCH_BANK_LINES", "20000"))
PORT = int(os.environ.get("BENCH_PORT", "8766"))
SUPPLIER_EMAIL = "bench.uploads@pharmex.example"
FINANCE_EMAIL = "bench.finance@pharmex.example"
OLD_PATH_TIMEOUT = 300  # seconds the "before" measurement may take


def memory_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


# --- files --------------------------------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">'
HEADER = ["批准文号", "规格", "单价", "库存", "税率", "配送省份"]


def approval(n: int) -> str:
    return f"国药准字H{19000000 + n:08d}"


def offer_row(n: int) -> list:
    return [approval(n), "0.25g", f"{2 + n % 400}.{n % 100:02d}", n % 900, "0.13", "460000;440000"]


def write_xlsx(path: Path) -> None:
    """A workbook as Excel writes one: texts in the shared-strings table, the sheet streamed into the ZIP."""
    strings = {text: index for index, text in enumerate([*HEADER, "0.25g", "0.13", "460000;440000"])}
    for n in range(1, N_ROWS + 1):
        strings[approval(n)] = len(strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELATIONSHIPS)
        package.writestr("xl/workbook.xml", WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS)
        with package.open("xl/sharedStrings.xml", "w") as table:
            table.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
            table.write(SST.format(n=len(strings)).encode())
            for text in strings:
                table.write(f"<si><t>{text}</t></si>".encode())
            table.write(b"</sst>")
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for number, cells in enumerate([HEADER] + [offer_row(n) for n in range(1, N_ROWS + 1)], start=1):
                xml = []
                for column, value in zip("ABCDEF", cells, strict=True):
                    if isinstance(value, str) and (number == 1 or column not in "CD"):  # prices, stock: numbers
                        xml.append(f'<c r="{column}{number}" t="s"><v>{strings[value]}</v></c>')
                    else:
                        xml.append(f'<c r="{column}{number}"><v>{value}</v></c>')
                sheet.write(f'<row r="{number}">{"".join(xml)}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(",".join(HEADER) + "\n")
        for n in range(1, N_ROWS + 1):
            file.write(",".join(f'"{cell}"' if ";" in str(cell) else str(cell) for cell in offer_row(n)) + "\n")


def write_bomb(path: Path) -> None:
    """The issue's bomb: 125 KB unpacking to 51 MB, three million one-letter shared strings."""
    count = 3_000_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELATIONSHIPS)
        package.writestr("xl/workbook.xml", WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS)
        package.writestr("xl/sharedStrings.xml", SST.format(n=count) + "<si><t>a</t></si>" * count + "</sst>")
        package.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>{n}</v></c></row>' for n in range(1, 2001))
            + "</sheetData></worksheet>",
        )


def multipart(path: Path, name: str) -> Path:
    """The request body a browser would send for the file, written to disk (the server streams it from there)."""
    boundary = "----pharmexbench"
    body = path.with_suffix(".body")
    with body.open("wb") as out, path.open("rb") as file:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        while chunk := file.read(1024 * 1024):
            out.write(chunk)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return body


# --- the measured processes ---------------------------------------------------------------------------------


def child(mode: str, *args: str) -> None:
    import django

    django.setup()
    baseline = memory_mb("VmRSS")
    started = time.monotonic()
    result: dict = {}
    if mode == "worker":
        from catalog.models import ImportJob
        from catalog.services import import_job_run

        if os.environ.get("BENCH_TRACEMALLOC"):
            tracemalloc.start()
        import_job_run(job_id=int(args[0]))
        job = ImportJob.objects.get(pk=int(args[0]))
        result = {"status": job.status, "rows": job.total_rows, "created": job.created_count,
                  "unchanged": job.unchanged_count, "failed": job.failed_count}  # fmt: skip
        if tracemalloc.is_tracing():
            result["python_heap_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    elif mode == "bank":
        from settlements.models import BankStatement
        from settlements.services import bank_statement_import

        bank_statement_import(statement_id=int(args[0]))
        statement = BankStatement.objects.get(pk=int(args[0]))
        result = {"status": statement.status, "lines": statement.line_count}
    elif mode == "request":
        result = request(Path(args[0]), args[1], *args[2:])
    elif mode == "openpyxl":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(Path(args[0]).read_bytes()), read_only=True, data_only=True)
        rows = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
        result = {"rows": rows}
    print(json.dumps({**result, "baseline_mb": round(baseline, 1), "peak_mb": round(memory_mb("VmHWM"), 1),
                      "seconds": round(time.monotonic() - started, 2)}))  # fmt: skip


def request(body_path: Path, token: str, path: str = "/api/v1/offer-imports/") -> dict:
    """POST the body (streamed from disk) to an upload endpoint through the WSGI application."""
    from pharmex.wsgi import application

    answer: dict = {}

    def start_response(status: str, headers: list, exc_info=None):
        answer["status"] = int(status.split()[0])

    with body_path.open("rb") as body:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost", "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "multipart/form-data; boundary=----pharmexbench",
            "CONTENT_LENGTH": str(body_path.stat().st_size), "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": body, "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }  # fmt: skip
        chunks = application(environ, start_response)
        content = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    payload = json.loads(content)
    return {
        "http": answer["status"],
        "type": payload.get("type", "").rsplit("/", 1)[-1] or payload.get("status"),
        "id": payload.get("id"),
    }


def measure(label: str, *args: str, timeout: float | None = None, env: dict | None = None) -> dict | None:
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", *args],
            cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout, check=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"{label}: still running after {timeout:.0f} s, stopped", flush=True)
        return None
    except subprocess.CalledProcessError as error:
        print(f"{label}: failed\n{error.stderr[-3000:]}", flush=True)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    extra = {k: v for k, v in result.items() if k not in ("baseline_mb", "peak_mb", "seconds")}
    peak, baseline = result["peak_mb"], result["baseline_mb"]
    print(
        f"{label}: peak {peak:.0f} MiB (after Django setup {baseline:.0f} MiB, +{peak - baseline:.0f}), "
        f"{result['seconds']:.2f} s, {extra}",
        flush=True,
    )
    return result


# --- setup --------------------------------------------------------------------------------------------------


def database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from pharmex import embedded_pg

    embedded_pg.ensure_running()
    os.environ["DATABASE_URL"] = embedded_pg.url("upload_bench")
    return os.environ["DATABASE_URL"]


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(url.replace(parsed.path, "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
        )
    for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, check=True)


def seed() -> tuple[str, str]:
    """A trading supplier with an operator, a finance admin and N_ROWS drugs; returns their access tokens."""
    import django

    django.setup()
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.choices import MemberRole, OrganizationKind
    from accounts.models import Membership, User
    from catalog.pinyin import initials, name_grams
    from tests.factories.accounts import LicenseFactory, OrganizationFactory

    supplier = OrganizationFactory(trading=False, kind=OrganizationKind.DISTRIBUTOR)
    LicenseFactory(organization=supplier, scope_tags=["chemical", "tcm", "biologics", "cold_chain", "rx", "otc"])
    user = User.objects.create_user(SUPPLIER_EMAIL, "bench-password-1")
    Membership.objects.create(user=user, organization=supplier, role=MemberRole.OPERATOR)
    finance = User.objects.create_user(FINANCE_EMAIL, "bench-password-1", is_staff=True, staff_role="finance_admin")
    columns = ("id, approval_number, approval_format, generic_name, brand_name, english_name, dosage_form, "
               "specification, package, sale_unit, min_unit, units_per_pack, mah_name, manufacturer_name, drug_type, "
               "category, special_class, storage, national_drug_code, atc_code, nrdl_code, nrdl_class, gtin, currency, "
               "status, status_note, generic_initials, brand_initials, name_grams, created_at, updated_at, "
               "restricted_class, simplified_vat_class, market_exit_reason")  # fmt: skip
    name = "阿莫西林胶囊"
    grams, name_initials = name_grams(name, ""), initials(name)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        with cursor.cursor.copy(f"COPY catalog_drug ({columns}) FROM STDIN") as copy:
            for n in range(1, N_ROWS + 1):
                copy.write_row((n, approval(n), "nmpa_legacy", name, "", "", "capsule", "0.25g", "24粒/盒", "盒",
                                "粒", 24, "", f"测试制药{n % 700}有限公司", "chemical", "rx", "none", "ambient", "",
                                "", "", "", "", "CNY", "active", "", name_initials, "", grams, "2026-01-01",
                                "2026-01-01", "none", "", ""))  # fmt: skip
        cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_drug', 'id'), %s)", [N_ROWS])
        cursor.execute("VACUUM ANALYZE catalog_drug")
    return str(AccessToken.for_user(user)), str(AccessToken.for_user(finance))


def queue_job(path: Path) -> int:
    """The request's part, run here (not measured): the job stored, its task not run."""
    from accounts.actor import actor_for_user
    from accounts.models import User
    from catalog.choices import ImportKind
    from catalog.services import import_job_create

    actor = actor_for_user(User.objects.get(email=SUPPLIER_EMAIL))
    with path.open("rb") as file:
        return import_job_create(actor=actor, kind=ImportKind.OFFERS, file_name=path.name, file=file).pk


def early_413(token: str) -> None:
    """Gunicorn, as `make run` starts it (gthread): a POST announcing 100 MiB, its body sent a chunk at a time."""
    env = {**os.environ, "BROWSABLE_API": "false"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "pharmex.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "1", "--threads", "2", "--log-level", "warning"],
        cwd=BASE_DIR, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        declared = 100 * 1024 * 1024
        connection = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        started = time.monotonic()
        connection.sendall(
            (f"POST /api/v1/offer-imports/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
             f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {declared}\r\n\r\n").encode()
        )  # fmt: skip
        answer, sent, chunk = b"", 0, b"\0" * 65536
        connection.setblocking(False)
        while b"\r\n\r\n" not in answer and time.monotonic() - started < 30:
            try:
                answer += connection.recv(65536)
            except BlockingIOError:
                try:
                    sent += connection.send(chunk)
                except BlockingIOError:
                    time.sleep(0.001)
        answered = time.monotonic() - started
        status = answer.split(b"\r\n", 1)[0].decode()
        connection.setblocking(True)
        connection.settimeout(10)
        closed_after, closed = None, False
        while time.monotonic() - started < 20 and not closed:
            try:
                connection.sendall(chunk)
                sent += len(chunk)
            except OSError:  # reset or broken pipe: the server closed it
                closed, closed_after = True, time.monotonic() - started
        connection.close()
        closing = f"closed by the server after {closed_after:.1f} s" if closed else "still open after 20 s"
        print(
            f"gunicorn, POST announcing {declared:,} bytes: '{status}' after {answered * 1000:.0f} ms; "
            f"connection {closing}, {sent:,} body bytes sent in all",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    url = database_url()
    recreate_database(url)
    token, finance_token = seed()
    work = Path(tempfile.mkdtemp(prefix="pharmex-upload-bench-"))
    xlsx, csv_file, bomb = work / "offers.xlsx", work / "offers.csv", work / "bomb.xlsx"
    write_xlsx(xlsx)
    write_csv(csv_file)
    write_bomb(bomb)
    table = zipfile.ZipFile(bomb).getinfo("xl/sharedStrings.xml")
    print(f"files: XLSX {xlsx.stat().st_size:,} bytes ({N_ROWS:,} rows), CSV {csv_file.stat().st_size:,} bytes, "
          f"bomb {bomb.stat().st_size:,} bytes (shared strings {table.compress_size:,} → {table.file_size:,})",
          flush=True)  # fmt: skip
    print("-- worker (the import task body) --", flush=True)
    measure(f"worker, XLSX {N_ROWS:,} rows", "worker", str(queue_job(xlsx)))
    measure(f"worker, CSV {N_ROWS:,} rows (the same offers again: unchanged)", "worker", str(queue_job(csv_file)))
    measure("worker, the CSV again, Python heap traced (tracemalloc: slower)", "worker", str(queue_job(csv_file)),
            env={"BENCH_TRACEMALLOC": "1"})  # fmt: skip
    print("-- request path --", flush=True)
    measure("request, the bomb (refused)", "request", str(multipart(bomb, "bomb.xlsx")), token)
    measure("before: openpyxl opening the bomb, as the request did", "openpyxl", str(bomb), timeout=OLD_PATH_TIMEOUT)
    measure(f"request, the valid XLSX ({xlsx.stat().st_size:,} bytes, accepted)", "request",
            str(multipart(xlsx, "offers.xlsx")), token)  # fmt: skip
    print(f"-- bank statement, {BANK_LINES:,} lines (it was imported and matched in the request: 42 s) --", flush=True)
    bank = work / "bank.csv"
    with bank.open("w", encoding="utf-8") as file:
        file.write("transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n")
        for n in range(1, BANK_LINES + 1):
            file.write(f"B{n:08d},2026-11-02,{1 + n % 5000}.{n % 100:02d},,某公司{n % 300},转账 {n}\n")
    uploaded = measure("request, the bank statement (queued)", "request", str(multipart(bank, "bank.csv")),
                       finance_token, "/api/v1/bank-statements/")  # fmt: skip
    if uploaded:
        measure("worker, the bank statement (parsed, stored, matched)", "bank", str(uploaded["id"]))
    print("-- early 413 --", flush=True)
    early_413(token)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:])
    else:
        main()
