"""The base viewset of every app's API: reads through core.scope, writes checked by it."""

from __future__ import annotations

from django.db import transaction
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from xietong.core import scope


class ScopedViewSet(viewsets.ModelViewSet):
    """List and detail come from ``scope.queryset``: out of scope means 404.

    A write on a visible object that the role may not do is 403; creation is checked with
    the validated data as context (e.g. the region of a new org unit).
    """

    model = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return scope.queryset(self.request.user, self.model)

    def _check(self, action, obj=None, **ctx):
        if not scope.can(self.request.user, action, self.model, obj, **ctx):
            raise PermissionDenied()

    def perform_create(self, serializer):
        ctx = {k: serializer.validated_data.get(k) for k in ("programme", "region")}
        self._check("create", **ctx)
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        self._check("change", serializer.instance)
        ctx = {k: serializer.validated_data.get(k) for k in ("programme", "region")}
        if any(ctx.values()):
            # Moving an object must land it inside what the user may manage, too.
            self._check("create", **ctx)
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        self._check("delete", instance)
        with transaction.atomic():
            instance.delete()


class ScopedRelatedField:
    """Mixin for serializers: limit related-object choices to the user's scope."""

    scoped_fields: dict[str, type] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        for name, model in self.scoped_fields.items():
            if name in self.fields:
                self.fields[name].queryset = scope.queryset(request.user, model)
