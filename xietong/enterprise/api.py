"""API of the five databases (``/api/v1/enterprises/`` …), with the pages' rules.

Reads come from ``core.scope`` (out of scope: 404). Staff of a side create and change its
records (``services.permission``); a change may carry the ``version`` it was read at and is
refused with 409 when someone saved the record in between. Personal data is always masked
in responses; ``POST …/unmask/`` returns one clear value to those entitled and records a
security event.
"""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django_filters import rest_framework as filters
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet
from xietong.core.models import Partnership, Region

from . import queries, services
from .models import (
    Contact,
    Enterprise,
    IndustryCode,
    Label,
    Product,
    Project,
    Talent,
    Technology,
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record was changed by someone else meanwhile."
    default_code = "conflict"


class SideRecordSerializer(ScopedRelatedField, serializers.ModelSerializer):
    """Pair and side within scope; the model's clean() runs (on a copy, without M2M)."""

    scoped_fields = {"partnership": Partnership, "side": Region}
    version = serializers.IntegerField(
        required=False, help_text="The version read; a stale one is refused with 409."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = copy.copy(self.instance) if self.instance else self.Meta.model()
        concrete = {f.name for f in self.Meta.model._meta.concrete_fields}
        for key, value in attrs.items():
            if key in concrete and key != "version":
                setattr(instance, key, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                getattr(exc, "message_dict", {"non_field_errors": exc.messages})
            ) from exc
        return attrs


def codes_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=IndustryCode.objects.all(), many=True, required=False, **kwargs
    )


class MainProductSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    share = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, allow_null=True
    )


class MaskedContactSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "name", "position", "phone", "email"]

    def get_name(self, obj) -> str:
        return services.mask_name(obj.name)

    def get_phone(self, obj) -> str:
        return services.mask_phone(obj.phone)

    def get_email(self, obj) -> str:
        return services.mask_email(obj.email)


class EnterpriseSerializer(SideRecordSerializer):
    industries = codes_field()
    labels = serializers.SlugRelatedField(
        slug_field="code", queryset=Label.objects.all(), many=True, required=False
    )
    main_products = MainProductSerializer(many=True, required=False)
    contacts = MaskedContactSerializer(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "partnership",
            "side",
            "shared",
            "name",
            "credit_code",
            "district",
            "industries",
            "size_class",
            "labels",
            "revenue",
            "output_value",
            "employees",
            "address",
            "description",
            "processes",
            "equipment",
            "certifications",
            "main_products",
            "contacts",
            "version",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["version"] = instance.version
        return data

    def _save_products(self, instance, products):
        if products is not None:
            services.apply_profile(
                instance,
                {"main_products": [{"name": p["name"], "share": p["share"]} for p in products]},
            )

    def create(self, validated_data):
        products = validated_data.pop("main_products", None)
        instance = super().create(validated_data)
        self._save_products(instance, products)
        return instance

    def update(self, instance, validated_data):
        products = validated_data.pop("main_products", None)
        instance = super().update(instance, validated_data)
        self._save_products(instance, products)
        return instance


class ProductSerializer(SideRecordSerializer):
    scoped_fields = {"partnership": Partnership, "side": Region, "enterprise": Enterprise}
    industry = serializers.SlugRelatedField(
        slug_field="code", queryset=IndustryCode.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "enterprise",
            "partnership",
            "side",
            "shared",
            "name",
            "category",
            "industry",
            "specification",
            "description",
            "version",
        ]
        read_only_fields = ["partnership", "side"]

    def validate(self, attrs):
        enterprise = attrs.get("enterprise") or getattr(self.instance, "enterprise", None)
        if enterprise is not None:
            attrs["partnership"], attrs["side"] = enterprise.partnership, enterprise.side
        return super().validate(attrs)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["version"] = instance.version
        return data


class ProjectSerializer(SideRecordSerializer):
    scoped_fields = {"partnership": Partnership, "side": Region, "enterprise": Enterprise}
    industries = codes_field()

    class Meta:
        model = Project
        fields = [
            "id",
            "partnership",
            "side",
            "shared",
            "name",
            "kind",
            "stage",
            "enterprise",
            "industries",
            "investment",
            "location",
            "description",
            "version",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["version"] = instance.version
        return data


class TechnologySerializer(ProjectSerializer):
    class Meta:
        model = Technology
        fields = [
            "id",
            "partnership",
            "side",
            "shared",
            "name",
            "field",
            "maturity",
            "owner",
            "enterprise",
            "patents",
            "industries",
            "description",
            "version",
        ]


class TalentSerializer(SideRecordSerializer):
    class Meta:
        model = Talent
        fields = [
            "id",
            "partnership",
            "side",
            "shared",
            "name",
            "kind",
            "fields",
            "title",
            "employer",
            "availability",
            "phone",
            "email",
            "description",
            "version",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["version"] = instance.version
        for field in services.PERSONAL_FIELDS[Talent]:
            data[field] = services.mask(field, getattr(instance, field))
        return data


class SideRecordFilter(filters.FilterSet):
    side = filters.NumberFilter(field_name="side_id")
    partnership = filters.NumberFilter(field_name="partnership_id")
    shared = filters.BooleanFilter()
    industry = filters.CharFilter(method="filter_industry", label="Industry code or name")

    def filter_industry(self, qs, name, value):
        if not hasattr(qs.model, "industries"):
            return qs.filter(industry__code__startswith=value.strip().upper())
        return qs.filter(queries.industry_filter(value)).distinct()


class EnterpriseFilter(SideRecordFilter):
    label = filters.CharFilter(field_name="labels__code")
    district = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Enterprise
        fields = ["side", "partnership", "shared", "size_class", "industry", "label", "district"]


def _filter(model_):
    class Meta:
        model = model_
        fields = ["side", "partnership", "shared", "industry"]

    return type(f"{model_.__name__}Filter", (SideRecordFilter,), {"Meta": Meta})


class SideRecordViewSet(ScopedViewSet):
    """Writes with the record's pair and side as context, under the version check."""

    def _save(self, serializer, action):
        data = serializer.validated_data
        expected = data.pop("version", None)
        instance = serializer.instance
        if action == "create":
            ctx = {"partnership": data.get("partnership"), "side": data.get("side")}
            self._check("create", **ctx)
        else:
            self._check("change", instance)
            if "partnership" in data or "side" in data:
                self._check(
                    "create",
                    partnership=data.get("partnership", instance.partnership),
                    side=data.get("side", instance.side),
                )
        try:
            with transaction.atomic():
                if instance is not None:
                    services.claim_version(
                        instance, expected if expected is not None else instance.version
                    )
                serializer.save()
        except services.StaleEdit as exc:
            raise Conflict(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                getattr(exc, "message_dict", {"non_field_errors": exc.messages})
            ) from exc

    def perform_create(self, serializer):
        self._save(serializer, "create")

    def perform_update(self, serializer):
        self._save(serializer, "change")


class UnmaskSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["name", "phone", "email"])
    contact = serializers.IntegerField(required=False)


def _unmask(request, obj):
    body = UnmaskSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        value = services.unmask(request.user, obj, body.validated_data["field"], request)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    return Response({"field": body.validated_data["field"], "value": value})


class EnterpriseViewSet(SideRecordViewSet):
    model = Enterprise
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    search_fields = ["name", "credit_code", "main_products__name", "description"]
    ordering_fields = ["name", "revenue", "employees", "updated_at"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related("industries", "labels", "main_products", "contacts")
        )

    @action(detail=True, methods=["post"], serializer_class=UnmaskSerializer)
    def unmask(self, request, pk=None):
        """One contact's clear name, phone or e-mail (body: contact id and field); audited."""
        enterprise = self.get_object()
        contact = enterprise.contacts.filter(pk=request.data.get("contact")).first()
        if contact is None:
            raise exceptions.NotFound()
        return _unmask(request, contact)


class ProductViewSet(SideRecordViewSet):
    model = Product
    serializer_class = ProductSerializer
    filterset_class = _filter(Product)
    search_fields = ["name", "category", "enterprise__name"]


class ProjectViewSet(SideRecordViewSet):
    model = Project
    serializer_class = ProjectSerializer
    filterset_class = _filter(Project)
    search_fields = ["name", "location", "description"]


class TechnologyViewSet(SideRecordViewSet):
    model = Technology
    serializer_class = TechnologySerializer
    filterset_class = _filter(Technology)
    search_fields = ["name", "field", "owner"]


class TalentViewSet(SideRecordViewSet):
    model = Talent
    serializer_class = TalentSerializer
    filterset_class = _filter(Talent)
    search_fields = ["fields", "title", "employer"]

    @action(detail=True, methods=["post"], serializer_class=UnmaskSerializer)
    def unmask(self, request, pk=None):
        """The talent's clear name, phone or e-mail (body: field); audited."""
        return _unmask(request, self.get_object())


ROUTES = [
    ("enterprises", EnterpriseViewSet, "enterprise"),
    ("products", ProductViewSet, "product"),
    ("projects", ProjectViewSet, "project"),
    ("technologies", TechnologyViewSet, "technology"),
    ("talent", TalentViewSet, "talent"),
]

from .api_postings import ROUTES as _POSTING_ROUTES  # noqa: E402  (postings and matches)

ROUTES += _POSTING_ROUTES
