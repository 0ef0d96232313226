from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.parsers import MultiPartParser

from accounts.choices import MemberRole
from api_docs.responses import problems
from catalog import selectors, services
from catalog.choices import ImportKind
from catalog.models import ImportJob
from catalog.serializers import ImportJobOutput, ImportUploadInput
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.uploads import UploadViewMixin
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

OFFER_COLUMNS = (
    "Columns (first row): `drug_id` or `approval_number` + `specification` (+ `package`), `unit_price`, `stock`; "
    "optional `vat_rate`, `min_order_quantity`, `order_multiple`, `lead_time_days`, `provinces`, "
    "`earliest_expiry`, `status`, `customs_status`. Chinese headers (批准文号, 规格, 包装, 单价, 库存, 关税状态, …) "
    "work too. `customs_status` (`duty_paid`, `zero_tariff`, `bonded` or 完税, 零关税, 保税; `duty_paid` when "
    "absent) is set on offers the import creates, with the `list` event of their customs history; an existing "
    "offer's status moves only by `POST /offers/{id}/customs-status/`, so a different one is a row error. "
    "`lecheng_special` offers are listed one by one with `POST /offers/`."
)
UPLOAD_RULES = (
    " The request only stores the file: a body over `CATALOG_IMPORT_MAX_BYTES` is refused with 413 "
    "`payload-too-large` before it is read, an XLSX whose ZIP unpacks past the limits (in total, at over 100:1, "
    "or with too many shared strings) with 413 `upload-bomb`. The job counts the rows, blank ones included, "
    "against `CATALOG_IMPORT_MAX_ROWS` (more fails the job) and imports them; poll it for progress."
)
ADMIN = Staff(StaffRole.ADMIN)


class _ImportViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    kind: str = ""
    upload_limits = {"create": "CATALOG_IMPORT_MAX_BYTES"}  # larger uploads: 413 before they are read
    serializer_class = ImportJobOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]

    def get_parsers(self):
        if getattr(self, "action", None) == "create" or self.request is None or self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables
            return ImportJob.objects.none()
        return selectors.import_job_list(actor=self.actor, kind=self.kind)

    def _create(self, request):
        upload = self.parse(ImportUploadInput)["file"]
        job = services.import_job_create(actor=self.actor, kind=self.kind, file_name=upload.name, file=upload)
        return self.respond(
            ImportJobOutput,
            self.get_queryset().get(pk=job.pk),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(f"{job.pk}/")},
        )


@extend_schema_view(
    list=extend_schema(summary="List your offer imports"),
    retrieve=extend_schema(summary="An offer import's status, progress, counts and per-row errors"),
)
@extend_schema(tags=["offers"])
class OfferImportViewSet(_ImportViewSet):
    kind = ImportKind.OFFERS
    # The selector shows an organisation its own imports (admins all).
    policies = {"list": SignedIn(), "retrieve": SignedIn(), "create": Members(MemberRole.OWNER, MemberRole.OPERATOR)}

    @extend_schema(
        summary="Upload offers (CSV or XLSX) for bulk import; answers 202 with the job",
        description=OFFER_COLUMNS + UPLOAD_RULES,
        request={"multipart/form-data": ImportUploadInput},
        responses={202: ImportJobOutput, **problems(400, 403, 413)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        return self._create(request)


@extend_schema_view(
    list=extend_schema(summary="List drug master-data imports (admin)"),
    retrieve=extend_schema(summary="A drug import's status, counts and per-row errors (admin)"),
)
@extend_schema(tags=["drugs"])
class DrugImportViewSet(_ImportViewSet):
    kind = ImportKind.DRUGS
    policies = {"list": ADMIN, "retrieve": ADMIN, "create": ADMIN}

    @extend_schema(
        summary="Upload drug master data (CSV or XLSX, admin); answers 202 with the job",
        description=UPLOAD_RULES.strip(),
        request={"multipart/form-data": ImportUploadInput},
        responses={202: ImportJobOutput, **problems(400, 413)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        return self._create(request)
