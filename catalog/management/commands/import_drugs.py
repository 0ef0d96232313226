from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.choices import ImportFormat
from catalog.services.drug_import import drug_rows_import
from catalog.services.imports import ImportTally
from catalog.tabular import FileUnreadable, read_rows, sniff_format, xlsx_check


class Command(BaseCommand):
    help = "Load drug master data from a CSV or XLSX file (upsert by approval number, specification, package)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        tally = ImportTally()
        try:
            with file.open("rb") as raw:
                file_format = sniff_format(file.name, raw.read(4))
                if file_format == ImportFormat.XLSX:
                    xlsx_check(raw, deep=True)  # the same limits as an upload: openpyxl holds the strings in memory
            drug_rows_import(job=None, rows=read_rows(file, file_format), tally=tally, on_progress=lambda: None)
        except FileUnreadable as error:
            raise CommandError(str(error)) from None
        for error in tally.errors:
            self.stderr.write(f"row {error['row']}, {error['column'] or '-'}: {error['message']}")
        self.stdout.write(
            f"{tally.created} created, {tally.updated} updated, {tally.unchanged} unchanged, {tally.failed} failed"
        )
