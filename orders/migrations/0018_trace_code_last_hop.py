"""A trace code records when its newest custody hop was shipped, so a trace lookup reads only the monthly partitions
of custody hops between the code's first hop and its last (orders 0016 partitioned them; 0017 bounded the start).
Existing codes take their newest hop's time."""

from django.db import migrations, models

# One pass over every code and hop: minutes on a large database, beyond the connections' statement timeout.
LAST_HOP = """
SET LOCAL statement_timeout = 0;
UPDATE orders_tracecode AS code SET last_hop_at = hop.last
FROM (SELECT code_id, max(shipped_at) AS last FROM orders_custodyhop GROUP BY code_id) AS hop
WHERE hop.code_id = code.id
"""


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_trace_code_known_from_first_hop")]
    operations = [
        migrations.AddField(
            model_name="tracecode",
            name="last_hop_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(LAST_HOP, migrations.RunSQL.noop),
    ]
