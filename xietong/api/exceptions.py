"""API errors: 400 with field errors, 404 for anything out of scope, 403 recorded."""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from xietong.core.audit import record
from xietong.core.models import SecurityEvent


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if isinstance(exc, exceptions.PermissionDenied) and response is not None:
        request = context.get("request")
        record(SecurityEvent.Kind.DENIED, request, detail=f"API: {exc.detail}"[:300])
    return response
