from datetime import date

from django.core.management.base import BaseCommand, CommandError

from pharmex.partition_jobs import partition_detach, partitions_detach_past_retention, partitions_maintain
from pharmex.partitions import PartitionRetained


def _month(value: str) -> date:
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as error:
        raise CommandError(f"--month wants YYYY-MM, not {value!r}") from error


class Command(BaseCommand):
    help = (
        "Monthly partitions of custody hops and order events. `maintain`: create the months ahead and split rows out "
        "of the default partitions (what the daily job does). `detach`: detach every month whose records are all past "
        "retention (off unless PARTITIONS_DETACH_ENABLED), or with --table and --month that one month; a month "
        "within retention is refused. Detached months stay as plain tables to archive with pg_dump and drop."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["maintain", "detach"])
        parser.add_argument("--months-ahead", type=int, help="months to create ahead (default PARTITIONS_MONTHS_AHEAD)")
        parser.add_argument("--table", help="with detach: the partitioned table, e.g. orders_custodyhop")
        parser.add_argument("--month", help="with detach: the month to detach, YYYY-MM")

    def handle(self, *args, action: str, months_ahead, table, month, **options):
        if action == "maintain":
            for done in partitions_maintain(months_ahead=months_ahead):
                created = ", ".join(m.strftime("%Y-%m") for m in done.created) or "none"
                split = ", ".join(m.strftime("%Y-%m") for m in done.split) or "none"
                self.stdout.write(f"{done.table}: created {created}; split from default {split}")
            return
        if table or month:
            if not (table and month):
                raise CommandError("detach one month needs both --table and --month")
            try:
                self.stdout.write(f"detached {partition_detach(table=table, month=_month(month))}")
            except PartitionRetained as refusal:
                raise CommandError(f"refused: {refusal}") from refusal
            return
        result = partitions_detach_past_retention()
        if not result.enabled:
            self.stdout.write("Detaching partitions is off (PARTITIONS_DETACH_ENABLED is not set): nothing detached.")
            return
        for name in result.detached:
            self.stdout.write(f"detached {name}")
        for name, why in result.kept.items():
            self.stdout.write(f"kept {name}: {why}")
