"""A sole national agent (全国总代理) may be registered for an imported drug alone when its holder abroad is not on
the platform: the manufacturer becomes nullable, and only a national agent (which names its drug) may leave it
empty. Existing registrations all name their manufacturer and are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_foreign_keys_no_own_index"),
        ("catalog", "0006_foreign_keys_no_own_index"),
        ("procurement", "0005_foreign_keys_no_own_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="soleseller",
            name="manufacturer",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: the national agent of an imported drug whose holder abroad is not on the platform.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sole_sellers_registered",
                to="accounts.organization",
                verbose_name="manufacturer / MAH",
            ),
        ),
        migrations.AddConstraint(
            model_name="soleseller",
            constraint=models.CheckConstraint(
                condition=models.Q(("manufacturer__isnull", False), ("kind", "sole_national_agent"), _connector="OR"),
                name="sole_seller_manufacturer_or_national_agent",
            ),
        ),
    ]
