"""The two-invoice chain API (两票制, SPEC §5a): sole sellers registered by manufacturers and verified by admins;
the first invoice recorded by the shipper on its shipment, and the chain read by the shipment's parties."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors as order_selectors
from orders.apis.orders import READING
from orders.choices import Side
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.serializers import NoteInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from pharmex.errors import NotFound
from procurement import selectors, services
from procurement.models import SoleSeller, SoleSellerChange
from procurement.serializers import (
    ShipmentInvoiceChainOutput,
    SoleSellerCreateInput,
    SoleSellerOutput,
    UpstreamInvoiceInput,
    UpstreamInvoiceOutput,
)

MANAGERS = Members(MemberRole.OWNER, MemberRole.OPERATOR)
ADMINS = Staff(StaffRole.ADMIN)
SoleSellerChangeOutput = transition_record_output(SoleSellerChange)


@extend_schema_view(
    list=extend_schema(summary="List sole sales companies / national agents: every verified one, and your own"),
    retrieve=extend_schema(summary="Retrieve a sole sales company / national agent registration"),
)
@extend_schema(tags=["procurement"])
class SoleSellerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SoleSellerOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "create": MANAGERS | ADMINS,
        "verify": ADMINS,
        "reject": ADMINS,
        "revoke": MANAGERS | ADMINS,
    }
    suspended_may = frozenset({"revoke"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SoleSeller.objects.none()
        return selectors.sole_seller_list(actor=self.actor)

    def _out(self, sole_seller, **kwargs):
        return self.respond(SoleSellerOutput, self.get_queryset().get(pk=sole_seller.pk), **kwargs)

    @extend_schema(
        summary="Register your sole sales company (唯一销售公司), or the sole national agent (全国总代理) of an "
        "imported drug you hold; it counts as a first-invoice issuer once a platform admin verified it",
        description="Platform admins register for a manufacturer (`manufacturer_id`), and register the sole national "
        "agent of an imported drug whose holder abroad is not on the platform for the drug alone (`drug_id`, no "
        "`manufacturer_id`; any other kind is refused with `holder_not_on_the_platform`).",
        request=SoleSellerCreateInput,
        responses={201: SoleSellerOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        sole_seller = services.sole_seller_register(actor=self.actor, **self.parse(SoleSellerCreateInput))
        return self._out(sole_seller, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Verify a registration (platform admins)",
        request=NoteInput,
        responses={200: SoleSellerOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._out(
            services.sole_seller_verify(actor=self.actor, sole_seller=self.get_object(), **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Reject a registration (platform admins)",
        request=NoteInput,
        responses={200: SoleSellerOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._out(
            services.sole_seller_reject(actor=self.actor, sole_seller=self.get_object(), **self.parse(NoteInput))
        )

    @extend_schema(
        summary="End a registration (the manufacturer/MAH, or platform admins)",
        request=NoteInput,
        responses={200: SoleSellerOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._out(
            services.sole_seller_revoke(actor=self.actor, sole_seller=self.get_object(), **self.parse(NoteInput))
        )

    @extend_schema(
        summary="The registration's history: verification, rejection, revocation with who, when and note",
        responses={200: SoleSellerChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(self.get_object().status_changes.order_by("-id"), SoleSellerChangeOutput)


@extend_schema(tags=["shipments"])
class InvoiceChainViewSet(ApiViewSet):
    """Routed by hand (procurement/urls.py): `GET /shipments/{id}/invoice-chain/`, `POST …/first-invoices/`."""

    policies = {"chain": READING, "record": MANAGERS}
    serializer_class = ShipmentInvoiceChainOutput  # what OPTIONS describes

    @extend_schema(
        summary="The shipment's two-invoice chain (两票制): the first invoices, the sale's invoices, and what receipt "
        "would refuse",
        description="Read by the buyer, the supplier and platform staff (others: 404). `problems` lists what a "
        "public institution's receipt would refuse with `two_invoice_chain_broken`.",
        responses={200: ShipmentInvoiceChainOutput, **problems(404)},
    )
    def chain(self, request, shipment_id=None):
        shipment = order_selectors.shipment_list(actor=self.actor).filter(pk=shipment_id).first()
        if shipment is None:
            raise NotFound()
        return self.respond(ShipmentInvoiceChainOutput, _chain_body(shipment))

    @extend_schema(
        summary="Record the first invoice (manufacturer/MAH or its sole seller → you) of lots on your shipment to "
        "a public institution (the shipper)",
        description="Name the issuer by `issuer_id` (on the platform) or `issuer_name` + `issuer_uscc`. For a buyer "
        "in a remote area, one more invoice is allowed: record the first invoice with the distributor you bought "
        "from as recipient, and that distributor's invoice to you.",
        request=UpstreamInvoiceInput,
        responses={201: UpstreamInvoiceOutput, **problems(400, 403, 404, 409)},
    )
    def record(self, request, shipment_id=None):
        shipment = order_selectors.shipment_for_party(actor=self.actor, shipment_id=shipment_id, side=Side.SUPPLIER)
        invoice = services.upstream_invoice_record(
            actor=self.actor, shipment=shipment, **self.parse(UpstreamInvoiceInput)
        )
        return self.respond(UpstreamInvoiceOutput, invoice, status=status.HTTP_201_CREATED)


def _chain_body(shipment) -> dict:
    return {"shipment": shipment.pk, **services.chain_description(shipment)}
