"""A person's email is unique whatever its case, through an index on UPPER(email) that also serves sign-in's and the
invitations' `email__iexact`, which read every user before. It fails, naming the email, on a database that already
holds two accounts differing only in case: decide which one stays first (sign-in could not tell them apart)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_foreign_keys_no_own_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("email"),
                name="user_email_unique_any_case",
                violation_error_message="A person with this email, in any case, already exists.",
            ),
        ),
    ]
