"""What the pairing API modules share: scoped related fields, the side and rating enums of
the schema, query parameters, and the viewset that writes through the service functions."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from xietong.api.base import ScopedViewSet
from xietong.conference.api import call, version_input
from xietong.core import scope
from xietong.core.models import OrgUnit, Partnership

from .models import Rating, Side

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


# --- Shared pieces --------------------------------------------------------------------


class PairingChoiceField(serializers.ChoiceField):
    """A choice field; the sides and ratings, used by many fields, are one named enum each
    in the schema (``PairingSide``, ``PairingRating``) instead of one per field name."""


NAMED_CHOICES = {"PairingSide": Side, "PairingRating": Rating}


class PairingChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = PairingChoiceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        values = [value for value in field.choices if value not in ("", None)]
        name = next((n for n, c in NAMED_CHOICES.items() if values == list(c.values)), None)
        if name is None:
            return auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        choices = NAMED_CHOICES[name]
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={
                "type": "string",
                "enum": values,
                "description": build_choice_description_list(choices.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class PairingModelSerializer(serializers.ModelSerializer):
    serializer_choice_field = PairingChoiceField


def side_field(**kwargs) -> PairingChoiceField:
    return PairingChoiceField(choices=Side.choices, **kwargs)


class ScopedPrimaryKey(serializers.PrimaryKeyRelatedField):
    """A related object chosen among those the requesting user sees (``core.scope``): an
    id out of scope is refused exactly like one that does not exist. Works nested, too."""

    def get_queryset(self):
        model = self.queryset.model
        request = self.context.get("request")
        if request is None:
            return model.objects.none()
        if model is Partnership:
            return scope.internal_partnerships(request.user)
        return scope.queryset(request.user, model)


def scoped_pk(model, **kwargs) -> ScopedPrimaryKey:
    return ScopedPrimaryKey(queryset=model.objects.all(), **kwargs)


def visible_partnership(request, value) -> Partnership:
    """The partnership named by a query parameter, if the user sees its internal work;
    otherwise 404 (a missing, malformed or out-of-scope id alike)."""
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    found = scope.internal_partnerships(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=gettext_lazy("The calendar year; this year when left out."),
    )

    def year_or_current(self) -> int:
        return self.validated_data.get("year") or timezone.localdate().year


class PartnershipYearQuery(YearQuery):
    partnership = serializers.IntegerField(
        help_text=gettext_lazy("The partnership (404 when you do not see it).")
    )


def year_query(request, serializer_class=YearQuery) -> YearQuery:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


def not_changing(instance, attrs: dict, name: str) -> None:
    if instance is not None and name in attrs and attrs[name] != getattr(instance, name):
        raise serializers.ValidationError(
            {name: [_("This cannot change; create a new record instead.")]}
        )


class PartnershipFixedSerializer(serializers.Serializer):
    """A write payload whose ``partnership`` is given on create and fixed afterwards (an
    update may repeat it, not change it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["partnership"].required = False

    def validate(self, attrs):
        not_changing(self.instance, attrs, "partnership")
        if self.instance is not None:
            attrs.pop("partnership", None)
        return attrs


class ServiceViewSet(ScopedViewSet):
    """Create and update through the service functions, answering with the object as read:
    the role's right is checked before the payload (403), the payload's fields next (400),
    the rules and the version by the service (400 / 409)."""

    write_serializer_class: type[serializers.Serializer]

    def create_object(self, user, data: dict):
        raise NotImplementedError

    def update_object(self, user, obj, data: dict):
        raise NotImplementedError

    def _read(self, obj, code=status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, code)

    def _body(self, serializer_class, instance=None, partial=False) -> dict:
        body = serializer_class(
            instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def create(self, request, *args, **kwargs):
        self._check("create")
        values = self._body(self.write_serializer_class)
        obj = call(self.create_object, request.user, values)
        return self._read(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()  # 404 out of scope, 403 for a role that may not change it
        values = self._body(self.write_serializer_class, obj, kwargs.get("partial", False))
        obj = call(self.update_object, request.user, obj, values)
        return self._read(obj)

    def _may(self, allowed: bool) -> None:
        # Checked before the payload, so validation errors tell a role nothing it may not do.
        if not allowed:
            raise exceptions.PermissionDenied()


def write_schema(write, read) -> dict:
    return {
        "create": extend_schema(request=write, responses={201: read}),
        "update": extend_schema(request=write, responses=read),
        "partial_update": extend_schema(request=write, responses=read),
    }


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")
    version = version_input()


class VersionOnlySerializer(serializers.Serializer):
    version = version_input()


class UnitSerializer(PairingModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "region"]
        read_only_fields = fields
