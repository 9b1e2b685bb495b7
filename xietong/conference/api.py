"""API of the joint conference: meetings, annual agreements, tasks and progress reports.

Reads come from ``core.scope`` (conference data is internal: enterprise users and the
auditor see none of it). Every write goes through the same service functions as the pages,
so the API can do nothing the pages forbid. A write on an object out of scope is a 404; a
write the role may not do on a visible object is a 403; a rule broken is a 400 that names
the field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet
from xietong.core import scope
from xietong.core.models import OrgUnit, User

from . import services
from .models import (
    AgendaItem,
    AnnualAgreement,
    Area,
    Attendee,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Milestone,
    ProgressReport,
    Resolution,
    Target,
    TargetActual,
    Task,
    TaskUnit,
)

READ_ONLY_METHODS = ["get", "head", "options"]


def call(function, *args, **kwargs):
    """Run a service function and speak its errors in the API's terms.

    The caller already holds a visible object (out of scope was a 404 before this), so a
    refusal here is a 403; a broken rule is a 400 with the field it concerns, if known.
    """
    try:
        return function(*args, **kwargs)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from exc
        raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


# --- Meetings -----------------------------------------------------------------------------


class AttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendee
        fields = ["id", "side", "org_unit", "name", "title"]
        read_only_fields = fields


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "order", "title", "presenter", "issue"]
        read_only_fields = fields


class ResolutionSerializer(serializers.ModelSerializer):
    tasks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Resolution
        fields = ["id", "number", "text", "tasks"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    attendees = AttendeeSerializer(many=True, read_only=True)
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    resolutions = ResolutionSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "name",
            "partnership",
            "number",
            "year",
            "date",
            "host_side",
            "place",
            "convener_developed",
            "convener_partner",
            "status",
            "minutes",
            "attendees",
            "agenda_items",
            "resolutions",
        ]
        read_only_fields = fields


class MeetingFilter(filters.FilterSet):
    class Meta:
        model = Meeting
        fields = ["partnership", "year", "status"]


class MeetingViewSet(ScopedViewSet):
    """Joint conferences of the pairs whose internal work the user sees (read-only)."""

    model = Meeting
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    http_method_names = READ_ONLY_METHODS
    search_fields = ["place", "minutes"]
    ordering_fields = ["date", "number", "year"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                "attendees",
                "agenda_items",
                Prefetch("resolutions", Resolution.objects.prefetch_related("tasks")),
            )
        )


# --- Annual agreements --------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AnnualAgreement
        fields = [
            "id",
            "partnership",
            "year",
            "title",
            "status",
            "meeting",
            "plan",
            "previous",
            "preamble",
            "task_count",
        ]
        read_only_fields = fields


class AgreementFilter(filters.FilterSet):
    class Meta:
        model = AnnualAgreement
        fields = ["partnership", "year", "status", "meeting", "plan"]


class AgreementViewSet(ScopedViewSet):
    """Annual agreements (年度协议) with the size of their task lists (read-only)."""

    model = AnnualAgreement
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilter
    http_method_names = READ_ONLY_METHODS
    search_fields = ["title"]
    ordering_fields = ["year", "title"]

    def get_queryset(self):
        qs = super().get_queryset().annotate(task_count=Count("tasks"))
        return qs.order_by(*AnnualAgreement._meta.ordering)


# --- Tasks --------------------------------------------------------------------------------


class TaskUnitSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="unit.name", read_only=True)
    region = serializers.IntegerField(source="unit.region_id", read_only=True)
    region_name = serializers.CharField(source="unit.region.name", read_only=True)

    class Meta:
        model = TaskUnit
        fields = ["unit", "name", "region", "region_name", "role", "acknowledged_at"]
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_date", "done_on"]
        read_only_fields = ["id", "done_on"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "name", "target_value", "measure", "actual"]
        read_only_fields = ["id", "actual"]


class TaskSerializer(serializers.ModelSerializer):
    responsible = PersonSerializer(read_only=True)
    units = TaskUnitSerializer(source="task_units", many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    targets = TargetSerializer(many=True, read_only=True)
    extended = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "agreement",
            "code",
            "title",
            "content",
            "area",
            "kind",
            "stage",
            "status",
            "light",
            "priority",
            "cadence",
            "percent",
            "start_date",
            "deadline",
            "baseline_deadline",
            "extended",
            "responsible",
            "working_group",
            "units",
            "milestones",
            "targets",
            "key_task",
            "resolution",
            "carried_from",
            "termination_reason",
            "last_accepted_report_on",
            "closed_on",
        ]
        read_only_fields = fields


# Named "Task" so that its request component is "TaskRequest", the body that creates a Task.
@extend_schema_serializer(component_name="Task")
class TaskCreateSerializer(ScopedRelatedField, serializers.Serializer):
    """What a coordinator gives to assign a task (``services.create_task``)."""

    scoped_fields = {
        "agreement": AnnualAgreement,
        "key_task": KeyTask,
        "resolution": Resolution,
    }

    agreement = serializers.PrimaryKeyRelatedField(queryset=AnnualAgreement.objects.none())
    code = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="")
    area = serializers.ChoiceField(choices=Area.choices)
    kind = serializers.ChoiceField(choices=Task.Kind.choices)
    start_date = serializers.DateField()
    deadline = serializers.DateField()
    lead_units = serializers.PrimaryKeyRelatedField(
        many=True, queryset=OrgUnit.objects.none(), allow_empty=False
    )
    support_units = serializers.PrimaryKeyRelatedField(
        many=True, queryset=OrgUnit.objects.none(), required=False, default=list
    )
    responsible = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True, default=None
    )
    working_group = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.none(), required=False, default=list
    )
    priority = serializers.ChoiceField(choices=Task.Priority.choices, default=Task.Priority.NORMAL)
    cadence = serializers.ChoiceField(choices=Task.Cadence.choices, default=Task.Cadence.MONTHLY)
    key_task = serializers.PrimaryKeyRelatedField(
        queryset=KeyTask.objects.none(), required=False, allow_null=True, default=None
    )
    resolution = serializers.PrimaryKeyRelatedField(
        queryset=Resolution.objects.none(), required=False, allow_null=True, default=None
    )
    milestones = MilestoneSerializer(many=True, required=False, default=list)
    targets = TargetSerializer(many=True, required=False, default=list)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        # Units and people of the pairs the user sees; the agreement's pair is checked below.
        for name in ("lead_units", "support_units"):
            self.fields[name].child_relation.queryset = scope.queryset(request.user, OrgUnit)
        self.fields["responsible"].queryset = scope.queryset(request.user, User)
        self.fields["working_group"].child_relation.queryset = scope.queryset(request.user, User)

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        agreement = attrs["agreement"]
        partnership = agreement.partnership
        sides = partnership.region_ids
        if attrs["deadline"] < attrs["start_date"]:
            errors["deadline"] = [_("The deadline cannot be before the start date.")]
        for name in ("lead_units", "support_units"):
            foreign = [u for u in attrs.get(name, []) if u.region_id not in sides]
            if foreign:
                errors[name] = [
                    _("%(unit)s is not a unit of either side of this partnership.") % {"unit": u}
                    for u in foreign
                ]
        if Task.objects.filter(agreement=agreement, code=attrs["code"]).exists():
            errors["code"] = [_("Another task of this agreement already has this code.")]
        key_task = attrs.get("key_task")
        if key_task is not None and key_task.plan.partnership_id != partnership.pk:
            errors["key_task"] = [_("The key task belongs to another partnership.")]
        resolution = attrs.get("resolution")
        if resolution is not None and resolution.meeting.partnership_id != partnership.pk:
            errors["resolution"] = [_("The resolution belongs to another partnership.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_field(OpenApiTypes.INT)
class TaskUnitFilter(filters.ModelChoiceFilter):
    """Tasks on which a unit is the lead or a supporting unit."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.filter(pk__in=TaskUnit.objects.filter(unit=value).values("task"))


class TaskFilter(filters.FilterSet):
    unit = TaskUnitFilter(queryset=OrgUnit.objects.all(), label="Unit (lead or supporting)")

    class Meta:
        model = Task
        fields = ["agreement", "area", "status", "light", "stage", "kind", "priority", "unit"]


class AcknowledgementSerializer(serializers.Serializer):
    acknowledged = TaskUnitSerializer(many=True, read_only=True)
    task = TaskSerializer(read_only=True)


class ActualSerializer(serializers.Serializer):
    target = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReportSubmitSerializer(serializers.Serializer):
    period = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$|^\d{4}Q[1-4]$",
        max_length=10,
        error_messages={"invalid": gettext_lazy("Give the period as 2026-03 or 2026Q1.")},
    )
    narrative = serializers.CharField()
    percent = serializers.IntegerField(min_value=0, max_value=100)
    actuals = ActualSerializer(many=True, required=False, default=list)

    def validate_actuals(self, value):
        task = self.context["task"]
        known = set(task.targets.values_list("pk", flat=True))
        if any(item["target"] not in known for item in value):
            raise serializers.ValidationError(_("Unknown target."))
        return value


class ReportReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs["accept"] and not attrs["comment"].strip():
            raise serializers.ValidationError({"comment": [self.why_returned()]})
        return attrs

    def why_returned(self) -> str:
        return _("Say why the report is returned.")


class TaskReviewSerializer(ReportReviewSerializer):
    def why_returned(self) -> str:
        return _("Say why the task is returned.")


class ClaimSerializer(serializers.Serializer):
    evidence = serializers.CharField()


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField()


@extend_schema_serializer(component_name="Extension")
class ExtensionRequestSerializer(serializers.ModelSerializer):
    requested_by = PersonSerializer(read_only=True)
    decided_by = PersonSerializer(read_only=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "task",
            "new_deadline",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "comment",
        ]
        read_only_fields = [
            "id",
            "task",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "comment",
        ]

    def validate_new_deadline(self, value):
        task = self.context["task"]
        if value <= task.deadline:
            raise serializers.ValidationError(
                _("The new deadline must be later than the current one.")
            )
        return value


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TargetActualSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetActual
        fields = ["target", "value"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):
    submitted_by = PersonSerializer(read_only=True)
    reviewed_by = PersonSerializer(read_only=True)
    actuals = TargetActualSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "task",
            "period",
            "narrative",
            "percent",
            "unit",
            "actuals",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields


class TaskViewSet(ScopedViewSet):
    """The task list (任务清单): read by the pair's internal roles, assigned by coordinators,
    moved along by the lead units' staff through the actions below."""

    model = Task
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["code", "title", "content"]
    ordering_fields = ["code", "deadline", "start_date", "percent"]

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("responsible")
            .prefetch_related(
                Prefetch("task_units", TaskUnit.objects.select_related("unit__region")),
                "milestones",
                "targets",
                "working_group",
            )
        )

    def _task_response(self, task: Task, code=status.HTTP_200_OK) -> Response:
        task = self.get_queryset().get(pk=task.pk)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data, code)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    def create(self, request, *args, **kwargs):
        """Assign a task to lead units of the agreement's pair (coordinators only)."""
        self._check("create")
        data = TaskCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["milestones"] = [(m["title"], m["due_date"]) for m in values["milestones"]]
        values["targets"] = [
            (t["name"], t["target_value"], t.get("measure", "")) for t in values["targets"]
        ]
        task = call(services.create_task, request.user, **values)
        return self._task_response(task, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AcknowledgementSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """签收: the user's lead units take the task on."""
        task = self.get_object()
        mine = call(services.acknowledge, request.user, task)
        task = self.get_queryset().get(pk=task.pk)
        context = self.get_serializer_context()
        return Response(
            {
                "acknowledged": TaskUnitSerializer(mine, many=True, context=context).data,
                "task": TaskSerializer(task, context=context).data,
            }
        )

    @extend_schema(request=ReportSubmitSerializer, responses={201: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="reports")
    def submit_report(self, request, pk=None):
        """A lead unit reports progress (period, narrative, percent, target actuals)."""
        task = self.get_object()
        self._may(services.can_report(request.user, task))
        data = ReportSubmitSerializer(data=request.data, context={"task": task})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = call(
            services.submit_report,
            request.user,
            task,
            period=values["period"],
            narrative=values["narrative"],
            percent=values["percent"],
            actuals={item["target"]: item["value"] for item in values["actuals"]},
        )
        return Response(ReportSerializer(report).data, status.HTTP_201_CREATED)

    @extend_schema(request=ClaimSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """办结: the lead unit says the task is done, with evidence."""
        task = self.get_object()
        self._may(services.can_report(request.user, task))
        data = ClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(services.claim_completion, request.user, task, **data.validated_data)
        return self._task_response(task)

    @extend_schema(request=TaskReviewSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], url_path="review")
    def review_completion(self, request, pk=None):
        """复核: the coordinator closes a claimed task (销号) or returns it with a comment."""
        task = self.get_object()
        self._may(services.can_coordinate(request.user, task.partnership))
        data = TaskReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(services.review_completion, request.user, task, **data.validated_data)
        return self._task_response(task)

    @extend_schema(request=ExtensionRequestSerializer, responses={201: ExtensionRequestSerializer})
    @action(detail=True, methods=["post"], url_path="extensions")
    def request_extension(self, request, pk=None):
        """延期申请: ask for a later deadline; the original one stays as the baseline."""
        task = self.get_object()
        self._may(services.can_report(request.user, task))
        data = ExtensionRequestSerializer(data=request.data, context={"task": task})
        data.is_valid(raise_exception=True)
        ext = call(services.request_extension, request.user, task, **data.validated_data)
        return Response(ExtensionRequestSerializer(ext).data, status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionSerializer,
        responses=ExtensionRequestSerializer,
        parameters=[OpenApiParameter("extension_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"extensions/(?P<extension_id>[0-9]+)/decide",
        url_name="extension-decide",
    )
    def decide_extension(self, request, pk=None, extension_id=None):
        """The coordinator approves or rejects a pending extension request."""
        task = self.get_object()
        ext = task.extensions.filter(pk=extension_id).first()
        if ext is None:
            raise exceptions.NotFound()
        self._may(services.can_coordinate(request.user, task.partnership))
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(services.decide_extension, request.user, ext, **data.validated_data)
        ext.refresh_from_db()
        return Response(ExtensionRequestSerializer(ext).data)

    @extend_schema(request=TerminateSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """The coordinator ends a task that will not be done, with the reason."""
        task = self.get_object()
        self._may(services.can_coordinate(request.user, task.partnership))
        data = TerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(services.terminate, request.user, task, **data.validated_data)
        return self._task_response(task)

    def _may(self, allowed: bool) -> None:
        # Checked before the payload, so validation errors tell a role nothing it may not do.
        if not allowed:
            raise exceptions.PermissionDenied()


# --- Progress reports ---------------------------------------------------------------------


class ReportFilter(filters.FilterSet):
    class Meta:
        model = ProgressReport
        fields = ["task", "status", "unit"]


@extend_schema_view(create=extend_schema(exclude=True))
class ReportViewSet(ScopedViewSet):
    """Progress reports; submitted through /tasks/{id}/reports/, reviewed here."""

    model = ProgressReport
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["period", "narrative"]
    ordering_fields = ["submitted_at", "period"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("actuals")

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @extend_schema(request=ReportReviewSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The coordinator accepts a report (its figures become the task's) or returns it."""
        report = self.get_object()
        if not services.can_coordinate(request.user, report.task.partnership):
            raise exceptions.PermissionDenied()
        data = ReportReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(services.review_report, request.user, report, **data.validated_data)
        report.refresh_from_db()
        return Response(ReportSerializer(report).data)
