"""A view that logs, for tests/pharmex/test_logs.py (its own URLconf: not a route of the platform)."""

import logging

from django.urls import path
from rest_framework.response import Response

from accounts.choices import MemberRole
from pharmex.api.permissions import Members
from pharmex.api.views import ApiView


class LoggingView(ApiView):
    policies = {"get": Members(*MemberRole.values)}

    def get(self, request):
        logging.getLogger("pharmex.test").warning("订单 %s 已记录", "PX1")
        return Response({"logged": True})


urlpatterns = [path("logged/", LoggingView.as_view())]
