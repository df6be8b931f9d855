"""The bare baseline for scripts/load_submit.py: authenticate, parse JSON, write one row.

Routed only when the bench app is installed (``BENCH=1``; refused with ``PRODUCTION=1``). Same
authentication and JSON handling as the submit endpoint, none of its work, so the ratio of
their throughputs is the cost of grading, bookkeeping and progress.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gradebook.bench.models import BenchmarkRow


class BareWrite(APIView):
    @extend_schema(exclude=True)
    def post(self, request: Request) -> Response:
        row = BenchmarkRow.objects.create(user=request.user, payload=request.data)
        return Response({"id": row.pk}, status=201)
