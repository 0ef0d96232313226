"""Issue 13: orders snapshot the whole GSP sales record (dosage form, manufacturer and MAH on the lines; both
parties' names and trading licence numbers on the order), and open orders can be held when a drug leaves the market.

Orders placed before are filled from the master data as it is now: the best record there is of them.
"""

from django.db import migrations, models

BACKFILL = """
    UPDATE orders_orderline AS line
    SET dosage_form = drug.dosage_form, manufacturer_name = drug.manufacturer_name, mah_name = drug.mah_name
    FROM catalog_drug AS drug WHERE drug.id = line.drug_id;
    UPDATE orders_order AS o SET buyer_name = buyer.legal_name, supplier_name = supplier.legal_name
    FROM accounts_organization AS buyer, accounts_organization AS supplier
    WHERE buyer.id = o.buyer_id AND supplier.id = o.supplier_id;
    UPDATE orders_order AS o SET buyer_license_number = COALESCE((
        SELECT licence.number FROM accounts_license AS licence JOIN accounts_organization AS org ON org.id = licence.organization_id
        WHERE licence.organization_id = o.buyer_id AND licence.status = 'approved'
          AND licence.type = CASE org.kind WHEN 'manufacturer' THEN 'drug_manufacturing' WHEN 'distributor' THEN 'drug_wholesale'
              WHEN 'pharmacy' THEN 'drug_retail' ELSE 'medical_institution' END
          AND licence.valid_from <= o.placed_at::date
        ORDER BY licence.valid_until DESC LIMIT 1), ''),
      supplier_license_number = COALESCE((
        SELECT licence.number FROM accounts_license AS licence JOIN accounts_organization AS org ON org.id = licence.organization_id
        WHERE licence.organization_id = o.supplier_id AND licence.status = 'approved'
          AND licence.type = CASE org.kind WHEN 'manufacturer' THEN 'drug_manufacturing' WHEN 'distributor' THEN 'drug_wholesale'
              WHEN 'pharmacy' THEN 'drug_retail' ELSE 'medical_institution' END
          AND licence.valid_from <= o.placed_at::date
        ORDER BY licence.valid_until DESC LIMIT 1), '');
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_reverification"),
        ("orders", "0006_custody_complete"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="buyer_license_number",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="order",
            name="buyer_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="order",
            name="held_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="hold_decided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="hold_note",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="order",
            name="hold_reason",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.AddField(
            model_name="order",
            name="hold_status",
            field=models.CharField(
                choices=[("none", "Not held"), ("held", "Held"), ("released", "Released"), ("cancelled", "Cancelled")],
                default="none",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="supplier_license_number",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="order",
            name="supplier_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="orderline",
            name="dosage_form",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.AddField(
            model_name="orderline",
            name="mah_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="orderline",
            name="manufacturer_name",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(condition=models.Q(("hold_status", "held")), fields=["held_at"], name="order_held"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
