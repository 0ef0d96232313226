"""Issue 13, the catalogue's market rules: ceiling prices become periods with history (the old single ceiling is
copied into a first period), drugs carry a restricted class, a registration validity and a simplified-VAT class,
and 3% offers become per-drug elections (started on the offer's creation day, so the 36-month lock counts from
there)."""

import calendar
from datetime import date

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone

SIMPLIFIED_TYPES = ["biologic", "vaccine", "blood_product"]  # what the supplier-wide election covered before


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def forwards(apps, schema_editor):
    Drug = apps.get_model("catalog", "Drug")
    CeilingPrice = apps.get_model("catalog", "CeilingPrice")
    Offer = apps.get_model("catalog", "Offer")
    Election = apps.get_model("catalog", "SimplifiedVatElection")
    CeilingPrice.objects.bulk_create(
        CeilingPrice(
            drug_id=drug_id,
            price=price,
            effective_from=effective_from,
            set_by="migration",
            note="The drug's single ceiling before ceiling periods (issue 13).",
        )
        for drug_id, price, effective_from in Drug.objects.filter(ceiling_price__isnull=False).values_list(
            "id", "ceiling_price", "ceiling_effective_from"
        )
    )
    Drug.objects.filter(drug_type__in=SIMPLIFIED_TYPES).update(simplified_vat_class="biologic")
    elections = []
    for supplier_id, drug_id, created_at in Offer.objects.filter(vat_rate="0.03").values_list(
        "supplier_id", "drug_id", "created_at"
    ):
        started = timezone.localdate(created_at)
        elections.append(
            Election(
                supplier_id=supplier_id,
                drug_id=drug_id,
                started_on=started,
                locked_until=_add_months(started, 36),
                elected_by="migration",
            )
        )
    Election.objects.bulk_create(elections)


def backwards(apps, schema_editor):
    Drug = apps.get_model("catalog", "Drug")
    CeilingPrice = apps.get_model("catalog", "CeilingPrice")
    for period in CeilingPrice.objects.filter(effective_until__isnull=True, price__isnull=False):
        Drug.objects.filter(pk=period.drug_id).update(
            ceiling_price=period.price, ceiling_effective_from=period.effective_from
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_token_version"),
        ("catalog", "0003_drug_mah_organization"),
    ]

    operations = [
        migrations.CreateModel(
            name="CeilingPrice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "price",
                    models.DecimalField(
                        blank=True, decimal_places=2, help_text="Per sale unit.", max_digits=18, null=True
                    ),
                ),
                ("currency", models.CharField(default="CNY", editable=False, max_length=3)),
                ("effective_from", models.DateField()),
                ("effective_until", models.DateField(blank=True, null=True)),
                ("set_by", models.CharField(help_text="The actor's audit label.", max_length=255)),
                ("note", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["drug_id", "-effective_from"],
            },
        ),
        migrations.CreateModel(
            name="SimplifiedVatElection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_on", models.DateField()),
                ("locked_until", models.DateField(help_text="The first day the election may end (start + 36 months).")),
                ("ended_on", models.DateField(blank=True, null=True)),
                ("elected_by", models.CharField(max_length=255)),
                ("ended_by", models.CharField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-started_on", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="drug",
            name="drug_approval_number_required",
        ),
        migrations.RemoveConstraint(
            model_name="drug",
            name="drug_ceiling_with_date",
        ),
        migrations.AddField(
            model_name="drug",
            name="market_exit_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="drug",
            name="market_exit_reason",
            field=models.CharField(blank=True, editable=False, max_length=30),
        ),
        migrations.AddField(
            model_name="drug",
            name="registration_valid_until",
            field=models.DateField(
                blank=True,
                help_text="The registration's last valid day; empty: not limited.",
                null=True,
                verbose_name="文号有效期",
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="restricted_class",
            field=models.CharField(
                choices=[
                    ("none", "None"),
                    ("anabolic_agent", "Anabolic agent (蛋白同化制剂)"),
                    ("peptide_hormone", "Peptide hormone, insulin excepted (肽类激素)"),
                    ("pregnancy_termination", "Pregnancy termination drug (终止妊娠药品)"),
                    ("ephedrine_compound", "Ephedrine compound preparation (含麻黄碱类复方制剂)"),
                ],
                default="none",
                max_length=30,
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="simplified_vat_class",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not eligible"),
                    ("biologic", "Biological product (财税〔2014〕57号)"),
                    ("anticancer", "Anticancer drug (财税〔2018〕47号)"),
                    ("rare_disease", "Rare-disease drug (财税〔2019〕24号)"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="drug",
            name="drug_type",
            field=models.CharField(
                choices=[
                    ("chemical", "Chemical drug (化学药品)"),
                    ("tcm", "Chinese patent medicine (中成药)"),
                    ("tcm_decoction", "TCM decoction pieces (中药饮片)"),
                    ("biologic", "Biological product (生物制品)"),
                    ("vaccine", "Vaccine (疫苗)"),
                    ("blood_product", "Blood product (血液制品)"),
                    ("institution_preparation", "Medical institution preparation (医疗机构制剂)"),
                    ("tcm_formula_granule", "TCM formula granules (中药配方颗粒)"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddConstraint(
            model_name="drug",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("drug_type__in", ["institution_preparation", "tcm_decoction", "tcm_formula_granule"]),
                    models.Q(("approval_number", ""), _negated=True),
                    _connector="OR",
                ),
                name="drug_approval_number_required",
            ),
        ),
        migrations.AddField(
            model_name="ceilingprice",
            name="drug",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="ceiling_prices", to="catalog.drug"
            ),
        ),
        migrations.AddField(
            model_name="simplifiedvatelection",
            name="drug",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="vat_elections", to="catalog.drug"
            ),
        ),
        migrations.AddField(
            model_name="simplifiedvatelection",
            name="supplier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="vat_elections", to="accounts.organization"
            ),
        ),
        migrations.AddConstraint(
            model_name="ceilingprice",
            constraint=models.UniqueConstraint(
                fields=("drug", "effective_from"), name="ceiling_price_one_start_per_drug"
            ),
        ),
        migrations.AddConstraint(
            model_name="ceilingprice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("effective_until__isnull", True),
                    ("effective_until__gte", models.F("effective_from")),
                    _connector="OR",
                ),
                name="ceiling_price_period_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="ceilingprice",
            constraint=models.CheckConstraint(
                condition=models.Q(("price__isnull", True), ("price__gt", 0), _connector="OR"),
                name="ceiling_price_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="simplifiedvatelection",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ended_on__isnull", True)),
                fields=("supplier", "drug"),
                name="vat_election_one_running",
            ),
        ),
        migrations.AddConstraint(
            model_name="simplifiedvatelection",
            constraint=models.CheckConstraint(
                condition=models.Q(("locked_until__gt", models.F("started_on"))), name="vat_election_lock_after_start"
            ),
        ),
        migrations.AddConstraint(
            model_name="simplifiedvatelection",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("ended_on__isnull", True), ("ended_on__gte", models.F("locked_until")), _connector="OR"
                ),
                name="vat_election_ends_after_lock",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name="drug",
            name="ceiling_effective_from",
        ),
        migrations.RemoveField(
            model_name="drug",
            name="ceiling_price",
        ),
    ]
