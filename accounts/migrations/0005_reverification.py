"""Issue 13: periodic re-verification (a review queue and each organisation's last verification), ownership for
every medical institution (clinics as well as hospitals), and room for the restricted-class scope tags.

Clinics registered before had no ownership: they become public (the ceiling rule applies to them; an admin corrects a
private one). The last verification is the latest change to `verified` in an organisation's history, else the
migration's time (so no one is due at once).
"""

import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone


def forwards(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    StatusChange = apps.get_model("accounts", "OrganizationStatusChange")
    Organization.objects.filter(kind="clinic", ownership="").update(ownership="public")
    now = timezone.now()
    for organization_id in Organization.objects.filter(status__in=["verified", "suspended"]).values_list(
        "pk", flat=True
    ):
        last = (
            StatusChange.objects.filter(organization_id=organization_id, to_status="verified")
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        Organization.objects.filter(pk=organization_id).update(last_verified_at=last or now)


def backwards(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    Organization.objects.filter(kind="clinic").update(ownership="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_token_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="Reverification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("passed", "Passed"), ("failed", "Failed")],
                        default="open",
                        max_length=10,
                    ),
                ),
                (
                    "due_on",
                    models.DateField(
                        help_text="The review is due on this day; suspension follows after the grace days."
                    ),
                ),
                (
                    "last_verified_at",
                    models.DateTimeField(blank=True, help_text="The verification this one renews.", null=True),
                ),
                (
                    "suspended_at",
                    models.DateTimeField(blank=True, help_text="When the overdue review suspended it.", null=True),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decided_by", models.CharField(blank=True, max_length=255)),
                ("note", models.CharField(blank=True, max_length=1000)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["due_on", "id"],
            },
        ),
        migrations.CreateModel(
            name="ReverificationStatusChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("action", models.CharField(max_length=30)),
                ("from_status", models.CharField(blank=True, max_length=20)),
                ("to_status", models.CharField(max_length=20)),
                ("actor", models.CharField(max_length=255)),
                ("note", models.CharField(blank=True, max_length=1000)),
                ("data", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["id"],
                "abstract": False,
            },
        ),
        migrations.RemoveConstraint(
            model_name="organization",
            name="organization_ownership_only_for_hospitals",
        ),
        migrations.AddField(
            model_name="organization",
            name="last_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="license",
            name="scope_tags",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("chemical", "Chemical drugs"),
                        ("tcm", "Traditional Chinese medicine"),
                        ("tcm_decoction", "TCM decoction pieces"),
                        ("biologics", "Biological products"),
                        ("cold_chain", "Cold-chain drugs"),
                        ("rx", "Prescription drugs"),
                        ("otc", "Over-the-counter drugs"),
                        ("anabolic_agent", "Anabolic agents (蛋白同化制剂)"),
                        ("peptide_hormone", "Peptide hormones (肽类激素)"),
                        ("pregnancy_termination", "Pregnancy termination drugs (终止妊娠药品)"),
                    ],
                    max_length=30,
                ),
                blank=True,
                default=list,
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="simplified_vat",
            field=models.BooleanField(
                default=False,
                help_text="Deprecated, no effect: simplified VAT (3%) is elected per offer (POST /offers/{id}/simplified-vat/).",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddConstraint(
            model_name="organization",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind__in", ["clinic", "hospital"]), ("ownership__in", ["public", "private"])),
                    models.Q(models.Q(("kind__in", ["clinic", "hospital"]), _negated=True), ("ownership", "")),
                    _connector="OR",
                ),
                name="organization_ownership_for_medical_institutions",
            ),
        ),
        migrations.AddField(
            model_name="reverification",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="reverifications", to="accounts.organization"
            ),
        ),
        migrations.AddField(
            model_name="reverificationstatuschange",
            name="reverification",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="status_changes", to="accounts.reverification"
            ),
        ),
        migrations.AddIndex(
            model_name="reverification",
            index=models.Index(fields=["status", "due_on"], name="reverification_queue"),
        ),
        migrations.AddConstraint(
            model_name="reverification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "open")),
                fields=("organization",),
                name="reverification_one_open_per_organization",
            ),
        ),
        migrations.AddIndex(
            model_name="reverificationstatuschange",
            index=models.Index(fields=["reverification", "id"], name="reverification_change_recent"),
        ),
    ]
