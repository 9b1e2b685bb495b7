"""The base viewset of every app's API: reads through core.scope, writes checked by it."""

from __future__ import annotations

from django.db import transaction
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets
from rest_framework.exceptions import PermissionDenied

from xietong.core import scope

# The permission a request method asks for on an existing object.
WRITE_ACTIONS = {"PUT": "change", "PATCH": "change", "DELETE": "delete"}


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter, with the choices of related-object filters taken from the user's scope.

    Filtering on an object out of scope then answers exactly as filtering on one that does
    not exist (400, "select a valid choice"), so a filter never confirms that an id exists.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for item in filterset.filters.values():  # the filterset's own copies
            model = (
                getattr(item.queryset, "model", None)
                if isinstance(item, QuerySetRequestMixin)
                else None
            )
            if model is not None and scope.is_scoped(model):
                item.queryset = scope.queryset(request.user, model)
        return filterset


class ScopedViewSet(viewsets.ModelViewSet):
    """List and detail come from ``scope.queryset``: out of scope means 404.

    A write the role may not do is 403, checked before the payload is validated, so that
    validation errors tell a role nothing about what it may not write. Creation is checked
    again with the validated data as context (e.g. the region of a new org unit), and a
    change that moves an object must land it where the user may create one.
    """

    model = None
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filter_backends = [ScopedFilterBackend, filters.SearchFilter, filters.OrderingFilter]

    def get_queryset(self):
        return scope.queryset(self.request.user, self.model)

    def _check(self, action, obj=None, **ctx):
        if not scope.can(self.request.user, action, self.model, obj, **ctx):
            raise PermissionDenied()

    def get_object(self):
        obj = super().get_object()  # 404 when out of scope
        action = WRITE_ACTIONS.get(self.request.method)
        if action:
            self._check(action, obj)
        return obj

    def create(self, request, *args, **kwargs):
        self._check("create")
        return super().create(request, *args, **kwargs)

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
