"""API of the core: programmes, regions, partnerships, org units and the current user."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, Q
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet

from .models import Membership, OrgUnit, Partnership, Programme, Region


class ModelCleanMixin:
    """Run the model's own ``clean()`` so the API enforces the rules the forms do.

    The rules are tried on a copy: the instance being changed keeps its stored values until
    the change is saved (the permission checks read them).
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = copy.copy(self.instance) if self.instance else self.Meta.model()
        for key, value in attrs.items():
            setattr(instance, key, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                getattr(exc, "message_dict", {"non_field_errors": exc.messages})
            ) from exc
        return attrs


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["id", "name", "code", "description", "created_at"]
        read_only_fields = ["created_at"]


class RegionSerializer(ModelCleanMixin, serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "kind", "division_code", "description", "is_sample"]


class PartnershipSerializer(ModelCleanMixin, ScopedRelatedField, serializers.ModelSerializer):
    scoped_fields = {"programme": Programme, "developed_side": Region, "partner_side": Region}
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Partnership
        fields = [
            "id",
            "name",
            "programme",
            "developed_side",
            "partner_side",
            "start_date",
            "status",
            "description",
            "is_sample",
        ]


class OrgUnitSerializer(ModelCleanMixin, ScopedRelatedField, serializers.ModelSerializer):
    scoped_fields = {"region": Region, "parent": OrgUnit}

    class Meta:
        model = OrgUnit
        fields = ["id", "region", "name", "kind", "parent", "phone", "is_active"]


class MembershipSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "role",
            "role_display",
            "programme",
            "partnership",
            "region",
            "org_unit",
            "sector",
            "enterprise",
            "enterprise_name",
        ]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField()
    memberships = MembershipSerializer(many=True)


class ProtectedDeleteMixin:
    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response(
                {"detail": "This object is still referenced by other records."},
                status=status.HTTP_409_CONFLICT,
            )


class ProgrammeViewSet(ProtectedDeleteMixin, ScopedViewSet):
    model = Programme
    serializer_class = ProgrammeSerializer
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code"]


class RegionViewSet(ProtectedDeleteMixin, ScopedViewSet):
    model = Region
    serializer_class = RegionSerializer
    filterset_fields = ["kind", "division_code"]
    search_fields = ["name", "division_code"]
    ordering_fields = ["name", "division_code"]


@extend_schema_field(OpenApiTypes.INT)
class EitherSideFilter(filters.ModelChoiceFilter):
    """A region on either side of a partnership."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.filter(Q(developed_side=value) | Q(partner_side=value))


class PartnershipFilter(filters.FilterSet):
    region = EitherSideFilter(queryset=Region.objects.all(), label="Region (either side)")

    class Meta:
        model = Partnership
        fields = ["programme", "status", "developed_side", "partner_side", "region"]


class PartnershipViewSet(ProtectedDeleteMixin, ScopedViewSet):
    model = Partnership
    serializer_class = PartnershipSerializer
    filterset_class = PartnershipFilter
    search_fields = ["developed_side__name", "partner_side__name"]
    ordering_fields = ["start_date", "id"]


class OrgUnitViewSet(ProtectedDeleteMixin, ScopedViewSet):
    model = OrgUnit
    serializer_class = OrgUnitSerializer
    filterset_fields = ["region", "kind", "parent", "is_active"]
    search_fields = ["name"]
    ordering_fields = ["name", "id"]


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    """The signed-in user and the roles they hold."""
    user = request.user
    return Response(
        MeSerializer(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.full_name,
                "email": user.email,
                "memberships": user.memberships.all(),
            }
        ).data
    )
