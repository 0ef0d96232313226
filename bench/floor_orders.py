"""The floor for bench/order_placement.py: the same writes as a placement, nothing else.

A minimal DRF endpoint doing, in one transaction, the conditional stock update of three offers,
the order INSERT and one multi-row INSERT of its three lines — no authentication, no validation,
no compliance gate, no audit, no outbox, no idempotency. It runs inside the same gunicorn as the
real API (bench/settings_orders.py adds it to the URLs), so the ratio isolates what PharmEx adds.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F
from django.urls import include, path
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Offer
from orders.models import Order, OrderLine


class FloorOrderApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request):
        lines = sorted(request.data["lines"], key=lambda line: line["offer_id"])
        now = timezone.now()
        with transaction.atomic():
            offers = {}
            for line in lines:
                updated = Offer.objects.filter(pk=line["offer_id"], stock__gte=line["quantity"]).update(
                    stock=F("stock") - line["quantity"]
                )
                if updated != 1:
                    transaction.set_rollback(True)
                    return Response({"detail": "insufficient stock"}, status=409)
                offers[line["offer_id"]] = line["quantity"]
            with connection.cursor() as cursor:
                cursor.execute("SELECT nextval('orders_order_number_seq')")
                (number,) = cursor.fetchone()
            order = Order.objects.create(
                number=f"FL{number:016d}",
                buyer_id=request.data["buyer_id"],
                supplier_id=request.data["supplier_id"],
                placed_by="floor",
                total_gross=0,
                total_tax=0,
                buyer_province="460000",
                expires_at=now + timedelta(1),
            )
            OrderLine.objects.bulk_create([
                OrderLine(order=order, line_no=n, offer_id=offer_id, drug_id=offer_id,  # seeded with drug id = offer id
                          drug_name="floor", specification="", package="", sale_unit="盒", unit_price=1, vat_rate=0,
                          quantity=quantity, line_gross=quantity, line_tax=0)
                for n, (offer_id, quantity) in enumerate(offers.items(), 1)
            ])  # fmt: skip
        return Response({"id": order.pk}, status=201)


urlpatterns = [
    path("floor/orders/", FloorOrderApi.as_view()),
    path("", include("pharmex.urls")),
]
