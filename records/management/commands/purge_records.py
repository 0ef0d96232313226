from django.core.management.base import BaseCommand

from records.retention import purge_past_retention


class Command(BaseCommand):
    help = (
        "Delete the orders (with their lines, shipments and custody hops) whose retention period has ended: five "
        "years after the business and one year past the goods' latest expiry. Only orders the ledger never booked "
        "(unsold, or refused whole at receipt) qualify. Does nothing unless RECORDS_PURGE_ENABLED is set. The audit "
        "log and the ledger are never purged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=1000, help="Most orders to delete in this run (orders kept do not count)."
        )

    def handle(self, *args, limit: int, **options):
        result = purge_past_retention(limit=limit)
        if not result.enabled:
            self.stdout.write("Records purge is off (RECORDS_PURGE_ENABLED is not set): nothing deleted.")
            return
        self.stdout.write(f"{result.purged} orders purged, {result.skipped} kept (still referred to).")
