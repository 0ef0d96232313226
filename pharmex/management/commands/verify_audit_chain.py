from django.core.management.base import BaseCommand, CommandError

from pharmex.audit import seal_audit_chain, verify_audit_chain


class Command(BaseCommand):
    help = (
        "Seal pending audit records, then verify the hash chain from the last verified checkpoint (--full: from the "
        "first record); names the first broken record."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="verify only what is already sealed")
        parser.add_argument(
            "--full",
            action="store_true",
            help="walk the whole chain from the first record, not only the records after the checkpoint",
        )

    def handle(self, *args, **options):
        if not options["no_seal"]:
            seal_audit_chain()
        report = verify_audit_chain(full=options["full"])
        if report.first_broken is None and report.reason:
            raise CommandError(f"audit chain truncated: {report.reason}")
        if report.first_broken is not None:
            event = report.first_broken
            raise CommandError(
                f"audit chain broken at record id={event.id} sequence={event.sequence} "
                f"action={event.action} object={event.object_type}:{event.object_id}: {report.reason}"
            )
        since = f" after the checkpoint at sequence {report.since}" if report.since else ""
        self.stdout.write(
            f"audit chain intact: {report.checked} records verified{since}, {report.unsealed} not yet sealed"
        )
