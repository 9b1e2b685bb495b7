"""API of department pairing and talent exchange on ``/api/v1/``: department pairs, work
contacts with their confirmation workflow and follow-up actions, compliance (heatmap and
rates), secondments, trainings and inspection visits.

Reads come from ``core.scope`` (``queries.py``): pairing is internal work, so people of
other pairs, enterprise users and the auditor get a 404 (an enterprise user sees only the
inspection visits its own enterprise took part in). Every write goes through the service
functions the pages use (``services.py``), so the API can do nothing the pages forbid: a
write the role may not do on a visible object is a 403, a broken rule a 400 naming the
field, and an edit sent with a stale ``version`` a 409.

This module holds department pairs, work contacts and follow-up actions, and ``ROUTES``;
compliance is in ``api_compliance.py``, secondments, trainings and visits in
``api_people.py``, what they share in ``api_common.py``.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.api.base import ScopedViewSet
from xietong.conference.api import PersonSerializer, VersionField, call, version_input
from xietong.conference.models import AnnualAgreement, Area, Task
from xietong.core.models import OrgUnit, Partnership, User

from . import services
from .api_common import (
    MONTH_PATTERN,
    PairingModelSerializer,
    PartnershipFixedSerializer,
    ReasonSerializer,
    ServiceViewSet,
    UnitSerializer,
    VersionOnlySerializer,
    scoped_pk,
    side_field,
    write_schema,
)
from .api_compliance import ComplianceViewSet
from .api_people import InspectionVisitViewSet, SecondmentViewSet, TrainingViewSet
from .models import (
    ContactAttachment,
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    WorkContact,
)

# --- Department pairs -----------------------------------------------------------------


class DepartmentPairSerializer(PairingModelSerializer):
    developed_unit = UnitSerializer(read_only=True)
    partner_unit = UnitSerializer(read_only=True)
    developed_lead = PersonSerializer(read_only=True)
    partner_lead = PersonSerializer(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)
    version = VersionField()

    class Meta:
        model = DepartmentPair
        fields = [
            "id",
            "partnership",
            "name",
            "developed_unit",
            "partner_unit",
            "frequency",
            "developed_lead",
            "partner_lead",
            "started_on",
            "ended_on",
            "active",
            "note",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class DepartmentPairWriteSerializer(PartnershipFixedSerializer):
    """A pair of departments, one of each side of the partnership; the persons in charge
    must be members of their side. The partnership is given on creation only."""

    partnership = scoped_pk(Partnership)
    developed_unit = scoped_pk(OrgUnit)
    partner_unit = scoped_pk(OrgUnit)
    frequency = serializers.ChoiceField(
        choices=DepartmentPair.Frequency.choices, default=DepartmentPair.Frequency.MONTHLY
    )
    developed_lead = scoped_pk(User, required=False, allow_null=True)
    partner_lead = scoped_pk(User, required=False, allow_null=True)
    started_on = serializers.DateField()
    ended_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    version = version_input()


class PairEndSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    version = version_input()


class DepartmentPairFilter(filters.FilterSet):
    unit = extend_schema_field(OpenApiTypes.INT)(filters.ModelChoiceFilter)(
        queryset=OrgUnit.objects.all(),
        method="filter_unit",
        label=gettext_lazy("Either department"),
    )
    active = filters.BooleanFilter(method="filter_active", label=gettext_lazy("Active today"))

    class Meta:
        model = DepartmentPair
        fields = ["partnership", "frequency", "developed_unit", "partner_unit"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(Q(developed_unit=value) | Q(partner_unit=value))

    def filter_active(self, queryset, name, value):
        today = timezone.localdate()
        alive = Q(started_on__lte=today) & (Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        return queryset.filter(alive) if value else queryset.exclude(alive)


@extend_schema_view(**write_schema(DepartmentPairWriteSerializer, DepartmentPairSerializer))
class DepartmentPairViewSet(ServiceViewSet):
    """Department pairs (结对部门): read by the pair's internal roles, managed by the
    coordinators of the partnership and of its programme. A pair with work contacts is
    ended (``end``), not deleted; its history stays."""

    model = DepartmentPair
    serializer_class = DepartmentPairSerializer
    write_serializer_class = DepartmentPairWriteSerializer
    filterset_class = DepartmentPairFilter
    search_fields = ["developed_unit__name", "partner_unit__name", "note"]
    ordering_fields = ["started_on", "created_at"]

    def create_object(self, user, data):
        data.pop("version", None)
        ended_on = data.pop("ended_on", None)
        with transaction.atomic():
            pair = services.create_pair(user, **data)
            if ended_on:
                pair = services.end_pair(user, pair, ended_on=ended_on)
        return pair

    def update_object(self, user, obj, data):
        version = data.pop("version", None) or None
        return services.update_pair(user, obj, version=version, **data)

    def perform_destroy(self, instance):
        self._check("delete", instance)
        call(services.delete_pair, self.request.user, instance)

    @extend_schema(request=PairEndSerializer, responses=DepartmentPairSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the pairing on ``ended_on``: no contact is due after it."""
        pair = self.get_object()
        self._may(services.may_manage_pairs(request.user, pair.partnership))
        data = self._body(PairEndSerializer)
        pair = call(
            services.end_pair,
            request.user,
            pair,
            ended_on=data["ended_on"],
            version=data.get("version") or None,
        )
        return self._read(pair)


# --- Work contacts --------------------------------------------------------------------


class ParticipantSerializer(PairingModelSerializer):
    user = scoped_pk(User, required=False, allow_null=True, default=None)
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)

    class Meta:
        model = ContactParticipant
        fields = ["id", "side", "name", "unit", "title", "user"]
        read_only_fields = ["id"]


class TaskLinkSerializer(PairingModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "code", "title", "agreement"]
        read_only_fields = fields


class FollowUpSerializer(PairingModelSerializer):
    task = TaskLinkSerializer(read_only=True)

    class Meta:
        model = FollowUpAction
        fields = ["id", "contact", "text", "owner_side", "due_on", "task", "created_at"]
        read_only_fields = fields


class FollowUpInputSerializer(serializers.Serializer):
    text = serializers.CharField()
    owner_side = side_field()
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class AttachmentSerializer(PairingModelSerializer):
    class Meta:
        model = ContactAttachment
        fields = ["id", "name", "size", "content_type", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class WorkContactSerializer(PairingModelSerializer):
    pair_name = serializers.CharField(source="pair.__str__", read_only=True)
    partnership = serializers.IntegerField(source="pair.partnership_id", read_only=True)
    form_label = serializers.CharField(read_only=True)
    recorded_by = PersonSerializer(read_only=True)
    confirmed_by = PersonSerializer(read_only=True)
    returned_by = PersonSerializer(read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = WorkContact
        fields = [
            "id",
            "pair",
            "pair_name",
            "partnership",
            "held_on",
            "form",
            "form_other",
            "form_label",
            "host_side",
            "place",
            "topics",
            "outcomes",
            "recorded_by",
            "recorded_side",
            "recorded_at",
            "status",
            "confirmed_by",
            "confirmed_at",
            "returned_by",
            "returned_at",
            "return_reason",
            "participants",
            "follow_ups",
            "attachments",
            "version",
        ]
        read_only_fields = fields


class ContactFieldsSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    form = serializers.ChoiceField(choices=WorkContact.Form.choices)
    form_other = serializers.CharField(required=False, allow_blank=True, max_length=60)
    host_side = side_field()
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    topics = serializers.CharField(allow_blank=True)
    outcomes = serializers.CharField(required=False, allow_blank=True)
    participants = ParticipantSerializer(many=True, required=False)


class ContactCreateSerializer(ContactFieldsSerializer):
    """A contact held by the pair, recorded by one side; it awaits the other side's
    confirmation. ``recorded_side`` may be left out by someone who acts for one side only."""

    pair = scoped_pk(DepartmentPair)
    recorded_side = side_field(required=False)
    follow_ups = FollowUpInputSerializer(many=True, required=False)


class ContactUpdateSerializer(ContactFieldsSerializer):
    """The recording side's correction of its record (not once confirmed); participants,
    when given, replace the list."""

    version = version_input()


class ContactFilter(filters.FilterSet):
    partnership = filters.ModelChoiceFilter(
        field_name="pair__partnership",
        queryset=Partnership.objects.all(),
        label=gettext_lazy("Partnership"),
    )
    month = filters.CharFilter(
        method="filter_month",
        validators=[RegexValidator(MONTH_PATTERN, gettext_lazy("Give the month as YYYY-MM."))],
        label=gettext_lazy("Month held, YYYY-MM"),
    )
    held_from = filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_to = filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = WorkContact
        fields = ["pair", "status", "form", "host_side", "recorded_side"]

    def filter_month(self, queryset, name, value):
        year, month = (int(part) for part in value.split("-"))
        return queryset.filter(held_on__year=year, held_on__month=month)


@extend_schema_view(
    create=extend_schema(request=ContactCreateSerializer, responses={201: WorkContactSerializer}),
    update=extend_schema(request=ContactUpdateSerializer, responses=WorkContactSerializer),
    partial_update=extend_schema(request=ContactUpdateSerializer, responses=WorkContactSerializer),
)
class WorkContactViewSet(ServiceViewSet):
    """Work contacts (工作对接) of the pairs in scope. Either side records one; only the other
    side confirms or returns it (never its recorder); the recording side corrects and
    resubmits a returned record. Filters: ``pair``, ``partnership``, ``month`` (YYYY-MM),
    ``status``, ``form``, ``host_side``."""

    model = WorkContact
    serializer_class = WorkContactSerializer
    write_serializer_class = ContactUpdateSerializer
    filterset_class = ContactFilter
    search_fields = ["topics", "outcomes", "place"]
    ordering_fields = ["held_on", "recorded_at"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                "participants",
                "attachments",
                Prefetch("follow_ups", FollowUpAction.objects.select_related("task")),
            )
            .select_related("returned_by")
        )

    def create(self, request, *args, **kwargs):
        """Record a contact with its participants and follow-up actions."""
        self._check("create")
        data = self._body(ContactCreateSerializer)
        pair = data.pop("pair")
        self._may(services.may_record(request.user, pair))
        contact = call(services.record_contact, request.user, pair, **data)
        return self._read(contact, status.HTTP_201_CREATED)

    def update_object(self, user, obj, data):
        version = data.pop("version", None) or None
        participants = data.pop("participants", None)
        return services.update_contact(
            user, obj, version=version, participants=participants, **data
        )

    def perform_destroy(self, instance):
        self._check("delete", instance)
        call(services.delete_contact, self.request.user, instance)

    @extend_schema(request=VersionOnlySerializer, responses=WorkContactSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The other side confirms that the contact took place as recorded."""
        contact = self.get_object()
        data = self._body(VersionOnlySerializer)
        contact = call(
            services.confirm_contact, request.user, contact, version=data.get("version") or None
        )
        return self._read(contact)

    @extend_schema(request=ReasonSerializer, responses=WorkContactSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_record(self, request, pk=None):
        """The other side returns a record it does not recognise, with the reason."""
        contact = self.get_object()
        data = self._body(ReasonSerializer)
        contact = call(
            services.return_contact,
            request.user,
            contact,
            reason=data["reason"],
            version=data.get("version") or None,
        )
        return self._read(contact)

    @extend_schema(request=ContactUpdateSerializer, responses=WorkContactSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """The recording side corrects a returned record (fields as in an update, all
        optional) and sends it for confirmation again."""
        contact = self.get_object()
        data = self._body(ContactUpdateSerializer, contact, partial=True)
        version = data.pop("version", None) or None
        participants = data.pop("participants", None)
        contact = call(
            services.resubmit_contact,
            request.user,
            contact,
            version=version,
            participants=participants,
            **data,
        )
        return self._read(contact)

    @extend_schema(request=FollowUpInputSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="follow-ups", url_name="follow-ups")
    def add_follow_up(self, request, pk=None):
        """Note an action agreed at the contact, owned by one side."""
        contact = self.get_object()
        self._may(services.may_add_follow_up(request.user, contact))
        data = self._body(FollowUpInputSerializer)
        action_row = call(services.add_follow_up, request.user, contact, **data)
        return Response(FollowUpSerializer(action_row).data, status.HTTP_201_CREATED)


# --- Follow-up actions ----------------------------------------------------------------


class MakeTaskSerializer(serializers.Serializer):
    """Put the action on the annual task list; everything but the agreement is optional
    (the current agreement of the pair, ``<year>-DJnn``, the action's text and due date)."""

    agreement = scoped_pk(AnnualAgreement, required=False, allow_null=True)
    code = serializers.CharField(required=False, allow_blank=True, max_length=30)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    area = serializers.ChoiceField(choices=Area.choices, default=Area.INDUSTRY)
    kind = serializers.ChoiceField(choices=Task.Kind.choices, default=Task.Kind.ITEM)
    deadline = serializers.DateField(required=False, allow_null=True)


class FollowUpFilter(filters.FilterSet):
    has_task = filters.BooleanFilter(
        field_name="task", lookup_expr="isnull", exclude=True, label=gettext_lazy("Is a task")
    )
    partnership = filters.ModelChoiceFilter(
        field_name="contact__pair__partnership",
        queryset=Partnership.objects.all(),
        label=gettext_lazy("Partnership"),
    )

    class Meta:
        model = FollowUpAction
        fields = ["contact", "owner_side"]


class FollowUpActionViewSet(ScopedViewSet):
    """Follow-up actions of the contacts in scope (read); ``task`` turns one into a task of
    the pair's annual task list (coordinators), linked both ways. Actions are added on their
    contact (``/work-contacts/{id}/follow-ups/``)."""

    model = FollowUpAction
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["due_on", "created_at"]

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST")

    @extend_schema(request=MakeTaskSerializer, responses={201: FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def task(self, request, pk=None):
        """Make the action a task of the current annual agreement (or the one given)."""
        action_row = self.get_object()
        self._check_make_task(action_row)
        body = MakeTaskSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = {k: v for k, v in body.validated_data.items() if v not in (None, "")}
        call(services.follow_up_to_task, request.user, action_row, **values)
        action_row = self.get_queryset().get(pk=action_row.pk)
        return Response(FollowUpSerializer(action_row).data, status.HTTP_201_CREATED)

    def _check_make_task(self, action_row: FollowUpAction) -> None:
        if not services.may_manage_pairs(self.request.user, action_row.contact.partnership):
            raise exceptions.PermissionDenied()


ROUTES = [
    ("department-pairs", DepartmentPairViewSet, "department-pair"),
    ("work-contacts", WorkContactViewSet, "work-contact"),
    ("follow-up-actions", FollowUpActionViewSet, "follow-up-action"),
    ("pairing-compliance", ComplianceViewSet, "pairing-compliance"),
    ("secondments", SecondmentViewSet, "secondment"),
    ("trainings", TrainingViewSet, "training"),
    ("inspection-visits", InspectionVisitViewSet, "inspection-visit"),
]
