"""API of the core: programmes, regions, partnerships, org units and the current user."""

from __future__ import annotations

from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet

from .models import Membership, OrgUnit, Partnership, Programme, Region


class ModelCleanMixin:
    """Run the model's own ``clean()`` so the API enforces the rules the forms do."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance or self.Meta.model()
        for key, value in attrs.items():
            setattr(instance, key, value)
        try:
            instance.clean()
        except Exception as exc:
            from django.core.exceptions import ValidationError as DjangoValidationError

            if isinstance(exc, DjangoValidationError):
                raise serializers.ValidationError(
                    getattr(exc, "message_dict", {"non_field_errors": exc.messages})
                ) from exc
            raise
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


class PartnershipViewSet(ProtectedDeleteMixin, ScopedViewSet):
    model = Partnership
    serializer_class = PartnershipSerializer
    filterset_fields = ["programme", "status", "developed_side", "partner_side"]
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
