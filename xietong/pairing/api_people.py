"""Secondments, trainings and inspection visits of the pairing API (see ``api.py``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.conference.api import VersionField, call, version_input
from xietong.core import scope
from xietong.core.models import OrgUnit, Partnership, User
from xietong.enterprise.models import Enterprise

from . import services
from .api_common import (
    PairingChoiceField,
    PairingModelSerializer,
    PartnershipFixedSerializer,
    PartnershipYearQuery,
    ReasonSerializer,
    ServiceViewSet,
    UnitSerializer,
    scoped_pk,
    side_field,
    visible_partnership,
    write_schema,
    year_query,
)
from .models import (
    InspectionVisit,
    Rating,
    Secondment,
    Side,
    Training,
    TrainingAttendance,
)

# --- Secondments ----------------------------------------------------------------------


class SecondmentSerializer(PairingModelSerializer):
    sending_unit = UnitSerializer(read_only=True)
    host_unit = UnitSerializer(read_only=True)
    mentor_label = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Secondment.Status.choices, read_only=True)
    version = VersionField()

    class Meta:
        model = Secondment
        fields = [
            "id",
            "partnership",
            "person_name",
            "user",
            "person_title",
            "sending_unit",
            "host_unit",
            "position",
            "starts_on",
            "ends_on",
            "mentor",
            "mentor_name",
            "mentor_label",
            "goals",
            "mid_evaluation",
            "mid_rating",
            "final_evaluation",
            "final_rating",
            "status",
            "cancelled",
            "cancel_reason",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class SecondmentWriteSerializer(PartnershipFixedSerializer):
    """A cadre of the partner side seconded to a department of the developed side."""

    partnership = scoped_pk(Partnership)
    person_name = serializers.CharField(max_length=60)
    user = scoped_pk(User, required=False, allow_null=True)
    person_title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    sending_unit = scoped_pk(OrgUnit)
    host_unit = scoped_pk(OrgUnit)
    position = serializers.CharField(required=False, allow_blank=True, max_length=100)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    mentor = scoped_pk(User, required=False, allow_null=True)
    mentor_name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    goals = serializers.CharField(required=False, allow_blank=True)
    version = version_input()


class EvaluationSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=[("mid", "mid"), ("final", "final")])
    evaluation = serializers.CharField(allow_blank=True)
    rating = PairingChoiceField(choices=Rating.choices, allow_blank=True)
    version = version_input()


class ProgressSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    minimum = serializers.IntegerField()
    target = serializers.IntegerField()
    actual = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=[("met", "met"), ("within", "within"), ("short", "short")]
    )


class SecondmentFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="starts_on", lookup_expr="year")
    status = filters.ChoiceFilter(
        field_name="current_status",
        choices=Secondment.Status.choices,
        label=gettext_lazy("Status today"),
    )

    class Meta:
        model = Secondment
        fields = ["partnership", "sending_unit", "host_unit", "cancelled"]


@extend_schema_view(**write_schema(SecondmentWriteSerializer, SecondmentSerializer))
class SecondmentViewSet(ServiceViewSet):
    """Secondments (挂职锻炼), managed by the coordinators; the evaluations also by the host
    unit's staff and the mentor. A secondment is cancelled, not deleted."""

    model = Secondment
    serializer_class = SecondmentSerializer
    write_serializer_class = SecondmentWriteSerializer
    filterset_class = SecondmentFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["person_name", "position", "goals"]
    ordering_fields = ["starts_on", "ends_on", "person_name"]

    def get_queryset(self):
        return super().get_queryset().with_status(timezone.localdate())

    def create_object(self, user, data):
        data.pop("version", None)
        return services.create_secondment(user, **data)

    def update_object(self, user, obj, data):
        version = data.pop("version", None) or None
        return services.update_secondment(user, obj, version=version, **data)

    @extend_schema(request=EvaluationSerializer, responses=SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """Write the mid-term (``stage=mid``) or final (``final``) evaluation and rating."""
        secondment = self.get_object()
        self._may(services.may_evaluate(request.user, secondment))
        data = self._body(EvaluationSerializer)
        secondment = call(
            services.evaluate_secondment,
            request.user,
            secondment,
            stage=data["stage"],
            evaluation=data["evaluation"],
            rating=data["rating"],
            version=data.get("version") or None,
        )
        return self._read(secondment)

    @extend_schema(request=ReasonSerializer, responses=SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a secondment, saying why; it no longer counts towards the year."""
        secondment = self.get_object()
        self._may(services.may_manage_secondments(request.user, secondment.partnership))
        data = self._body(ReasonSerializer)
        secondment = call(
            services.cancel_secondment,
            request.user,
            secondment,
            reason=data["reason"],
            version=data.get("version") or None,
        )
        return self._read(secondment)

    @extend_schema(parameters=[PartnershipYearQuery], responses=ProgressSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def progress(self, request):
        """The secondments starting in the year (not cancelled) against the partnership's
        yearly range (at least ``minimum``, ``target`` agreed)."""
        query = year_query(request, PartnershipYearQuery)
        partnership = visible_partnership(request, query.validated_data["partnership"])
        result = services.secondment_progress(partnership, query.year_or_current())
        data = {
            "year": result.year,
            "minimum": result.minimum,
            "target": result.target,
            "actual": result.actual,
            "state": result.state,
        }
        return Response(ProgressSerializer(data).data)


# --- Trainings ------------------------------------------------------------------------


class AttendanceSerializer(PairingModelSerializer):
    user = scoped_pk(User, required=False, allow_null=True, default=None)
    unit = scoped_pk(OrgUnit, required=False, allow_null=True, default=None)
    unit_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    hours = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0)
    side = side_field(default=Side.PARTNER)

    class Meta:
        model = TrainingAttendance
        fields = ["id", "name", "user", "unit", "unit_name", "side", "hours"]
        read_only_fields = ["id"]


class TrainingSerializer(PairingModelSerializer):
    host_unit = UnitSerializer(read_only=True)
    attendees = AttendanceSerializer(source="attendances", many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = Training
        fields = [
            "id",
            "partnership",
            "title",
            "held_on",
            "ends_on",
            "place",
            "topics",
            "trainers",
            "host_unit",
            "attendees",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class TrainingWriteSerializer(PartnershipFixedSerializer):
    """A training session with its attendees (the list, when given, replaces the old one)."""

    partnership = scoped_pk(Partnership)
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    topics = serializers.CharField(required=False, allow_blank=True)
    trainers = serializers.CharField(required=False, allow_blank=True)
    host_unit = scoped_pk(OrgUnit, required=False, allow_null=True)
    attendees = AttendanceSerializer(many=True, required=False)
    version = version_input()


class SessionSerializer(serializers.Serializer):
    training = serializers.IntegerField()
    title = serializers.CharField()
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=7, decimal_places=1)


class TrainingRecordSerializer(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField()
    side = side_field()
    user = serializers.IntegerField(allow_null=True)
    hours = serializers.DecimalField(max_digits=7, decimal_places=1)
    count = serializers.IntegerField()
    sessions = SessionSerializer(many=True)


class TrainingRecordQuery(serializers.Serializer):
    partnership = serializers.IntegerField(
        required=False, help_text=gettext_lazy("Only this partnership (404 when not visible).")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    side = side_field(required=False)


class TrainingFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="held_on", lookup_expr="year")

    class Meta:
        model = Training
        fields = ["partnership", "host_unit"]


@extend_schema_view(**write_schema(TrainingWriteSerializer, TrainingSerializer))
class TrainingViewSet(ServiceViewSet):
    """Trainings of investment staff (业务培训) with their attendees and hours; recorded by
    the coordinators and the staff of the departments of either side."""

    model = Training
    serializer_class = TrainingSerializer
    write_serializer_class = TrainingWriteSerializer
    filterset_class = TrainingFilter
    search_fields = ["title", "topics", "trainers"]
    ordering_fields = ["held_on", "title"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("attendances")

    def perform_destroy(self, instance):
        self._check("delete", instance)
        call(services.delete_training, self.request.user, instance)

    def create_object(self, user, data):
        data.pop("version", None)
        return services.create_training(user, **data)

    def update_object(self, user, obj, data):
        version = data.pop("version", None) or None
        attendees = data.pop("attendees", None)
        return services.update_training(user, obj, version=version, attendees=attendees, **data)

    @extend_schema(parameters=[TrainingRecordQuery], responses=TrainingRecordSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def records(self, request):
        """Per-person training records: the sessions attended and the hours in total (one
        record per account, else per name and unit as written), most hours first."""
        query = TrainingRecordQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        rows = scope.queryset(request.user, TrainingAttendance)
        if "partnership" in values:
            partnership = visible_partnership(request, values["partnership"])
            rows = rows.filter(training__partnership=partnership)
        if "year" in values:
            rows = rows.filter(training__held_on__year=values["year"])
        if "side" in values:
            rows = rows.filter(side=values["side"])
        data = [
            {
                "name": record.name,
                "unit": record.unit,
                "side": record.side,
                "user": record.user_id,
                "hours": record.hours,
                "count": record.count,
                "sessions": [
                    {
                        "training": row.training_id,
                        "title": row.training.title,
                        "held_on": row.training.held_on,
                        "hours": row.hours,
                    }
                    for row in record.sessions
                ],
            }
            for record in services.training_records(rows)
        ]
        return Response(TrainingRecordSerializer(data, many=True).data)


# --- Inspection visits ----------------------------------------------------------------


class VisitEnterpriseSerializer(PairingModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "name", "side"]
        read_only_fields = fields


class InspectionVisitSerializer(PairingModelSerializer):
    host_side = side_field(read_only=True)
    enterprises = VisitEnterpriseSerializer(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = InspectionVisit
        fields = [
            "id",
            "partnership",
            "visiting_side",
            "host_side",
            "starts_on",
            "ends_on",
            "destination",
            "lead",
            "purpose",
            "enterprises",
            "findings",
            "follow_ups",
            "recorded_by",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class InspectionVisitWriteSerializer(PartnershipFixedSerializer):
    """An enterprise delegation of one side visiting the other, with the enterprises
    involved (of the partnership; the list, when given, replaces the old one)."""

    partnership = scoped_pk(Partnership)
    visiting_side = side_field()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    destination = serializers.CharField(max_length=200)
    lead = serializers.CharField(required=False, allow_blank=True, max_length=100)
    purpose = serializers.CharField(required=False, allow_blank=True)
    findings = serializers.CharField(required=False, allow_blank=True)
    follow_ups = serializers.CharField(required=False, allow_blank=True)
    enterprises = scoped_pk(Enterprise, many=True, required=False)
    version = version_input()


class VisitFilter(filters.FilterSet):
    year = filters.NumberFilter(field_name="starts_on", lookup_expr="year")
    enterprise = filters.ModelChoiceFilter(
        field_name="enterprises",
        queryset=Enterprise.objects.all(),
        label=gettext_lazy("Enterprise involved"),
    )

    class Meta:
        model = InspectionVisit
        fields = ["partnership", "visiting_side"]


@extend_schema_view(**write_schema(InspectionVisitWriteSerializer, InspectionVisitSerializer))
class InspectionVisitViewSet(ServiceViewSet):
    """Mutual inspection visits (互动考察): recorded by the coordinators and the staff of
    either side; an enterprise user reads those its own enterprise took part in."""

    model = InspectionVisit
    serializer_class = InspectionVisitSerializer
    write_serializer_class = InspectionVisitWriteSerializer
    filterset_class = VisitFilter
    search_fields = ["destination", "purpose", "findings"]
    ordering_fields = ["starts_on"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("enterprises").distinct()

    def perform_destroy(self, instance):
        self._check("delete", instance)
        call(services.delete_visit, self.request.user, instance)

    def create_object(self, user, data):
        data.pop("version", None)
        return services.create_visit(user, **data)

    def update_object(self, user, obj, data):
        version = data.pop("version", None) or None
        enterprises = data.pop("enterprises", None)
        return services.update_visit(user, obj, version=version, enterprises=enterprises, **data)
