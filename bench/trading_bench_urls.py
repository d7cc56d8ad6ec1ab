"""The app's URLs plus ``POST /bench/insert``: one authenticated INSERT in a transaction,
the floor an order placement is compared with."""

from django.db import transaction
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AuditEvent


class BareInsert(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        with transaction.atomic():
            event = AuditEvent.objects.create(action="bench", user_id=request.user.pk)
        return Response({"id": event.pk}, status=201)


urlpatterns = [
    path("bench/insert", BareInsert.as_view()),
    path("", include("cryptovault.urls")),
]
