"""FilterSets of the accounts lists (STYLE G18)."""

from accounts.models import License, Organization, Reverification
from pharmex.api.filters import IntegerFilter, StrictFilterSet
from pharmex.models import AuditEvent


class OrganizationFilter(StrictFilterSet):
    class Meta(StrictFilterSet.Meta):
        model = Organization
        fields = ["status", "kind", "province_code"]


class LicenseFilter(StrictFilterSet):
    organization = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = License
        fields = ["status", "type", "organization"]


class AuditEventFilter(StrictFilterSet):
    organization_id = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "organization_id"]


class ReverificationFilter(StrictFilterSet):
    organization = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = Reverification
        fields = ["status", "organization"]
