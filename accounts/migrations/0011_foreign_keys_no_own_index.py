"""Six foreign keys lose their single-column indexes: a composite index or unique constraint leads with the same column
and serves every lookup by it (invitation_change_recent, license_unique_number, license_change_recent,
membership_unique, organization_change_recent, reverification_change_recent), and every row written paid an entry in
both. Only the indexes go: Django's AlterField would also drop and re-add each foreign key, re-checking every row of
the table under lock."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_insurance_fund"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="invitationstatuschange",
                    name="invitation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="accounts.invitation",
                    ),
                ),
                migrations.AlterField(
                    model_name="license",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="licenses",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="licensestatuschange",
                    name="license",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="accounts.license",
                    ),
                ),
                migrations.AlterField(
                    model_name="membership",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="organizationstatuschange",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="reverificationstatuschange",
                    name="reverification",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="status_changes",
                        to="accounts.reverification",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "accounts_invitationstatuschange_invitation_id_c41bd300"; '
                    'DROP INDEX IF EXISTS "accounts_license_organization_id_649d18ae"; '
                    'DROP INDEX IF EXISTS "accounts_licensestatuschange_license_id_196c9ce3"; '
                    'DROP INDEX IF EXISTS "accounts_membership_user_id_487fb39e"; '
                    'DROP INDEX IF EXISTS "accounts_organizationstatuschange_organization_id_62da1ec2"; '
                    'DROP INDEX IF EXISTS "accounts_reverificationstatuschange_reverification_id_41975596"',
                    'CREATE INDEX IF NOT EXISTS "accounts_invitationstatuschange_invitation_id_c41bd300" ON "accounts_invitationstatuschange" ("invitation_id"); '
                    'CREATE INDEX IF NOT EXISTS "accounts_license_organization_id_649d18ae" ON "accounts_license" ("organization_id"); '
                    'CREATE INDEX IF NOT EXISTS "accounts_licensestatuschange_license_id_196c9ce3" ON "accounts_licensestatuschange" ("license_id"); '
                    'CREATE INDEX IF NOT EXISTS "accounts_membership_user_id_487fb39e" ON "accounts_membership" ("user_id"); '
                    'CREATE INDEX IF NOT EXISTS "accounts_organizationstatuschange_organization_id_62da1ec2" ON "accounts_organizationstatuschange" ("organization_id"); '
                    'CREATE INDEX IF NOT EXISTS "accounts_reverificationstatuschange_reverification_id_41975596" ON "accounts_reverificationstatuschange" ("reverification_id")',
                )
            ],
        )
    ]
