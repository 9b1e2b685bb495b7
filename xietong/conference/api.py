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
from xietong.core.models import OrgUnit, Partnership, Region, User

from . import plan_services, services
from .models import (
    AgendaItem,
    AnnualAgreement,
    Area,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Milestone,
    Plan,
    ProgressReport,
    Resolution,
    Target,
    TargetActual,
    Task,
    TaskUnit,
)
from .versions import EditConflict, version_of

READ_ONLY_METHODS = ["get", "head", "options"]


def call(function, *args, **kwargs):
    """Run a service function and speak its errors in the API's terms.

    The caller already holds a visible object (out of scope was a 404 before this), so a
    refusal here is a 403; a broken rule is a 400 with the field it concerns, if known.
    """
    try:
        return function(*args, **kwargs)
    except EditConflict as exc:
        raise Conflict({"detail": exc.messages[0], "version": exc.version}) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from exc
        raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc


class Conflict(exceptions.APIException):
    """409: the object changed since the client read it (its ``version`` differs)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The object was changed by someone else meanwhile.")
    default_code = "conflict"


@extend_schema_field(OpenApiTypes.STR)
class VersionField(serializers.Field):
    """The object's version (``versions.version_of``): send it back with a change, and the
    change is refused with 409 if someone else changed the object in between."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return version_of(value)


def version_input():
    return serializers.CharField(
        required=False,
        write_only=True,
        help_text=gettext_lazy(
            "The version read with the object; when given and no longer current, the change "
            "is refused with 409."
        ),
    )


class ServiceWriteSerializer(ScopedRelatedField, serializers.ModelSerializer):
    """The body of a create or update, handed to a ``plan_services`` function (which checks
    the rules against the database; no model validators here). The object's parent
    (``fixed``: its partnership or plan) is given on creation and never moves."""

    fixed = "partnership"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields[self.fixed].required = False

    def validate(self, attrs):
        if self.instance is not None and self.fixed in attrs:
            if attrs.pop(self.fixed) != getattr(self.instance, self.fixed):
                raise serializers.ValidationError(
                    {self.fixed: [_("This cannot change; create a new record instead.")]}
                )
        return attrs


def write_schema(write, read) -> dict:
    """The OpenAPI description of create / update / partial_update with a write body."""
    return {
        "create": extend_schema(request=write, responses={201: read}),
        "update": extend_schema(request=write, responses=read),
        "partial_update": extend_schema(request=write, responses=read),
    }


class ServiceWriteMixin:
    """create / update through service functions: permission (403) before the payload is
    validated (400), out of scope 404, and the response is the object as read."""

    write_serializer_class: type[serializers.Serializer]

    def create_object(self, user, data: dict):
        raise NotImplementedError

    def update_object(self, user, obj, data: dict):
        raise NotImplementedError

    def _read(self, obj, code=status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, code)

    def create(self, request, *args, **kwargs):
        self._check("create")
        data = self.write_serializer_class(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        obj = call(self.create_object, request.user, values)
        return self._read(obj, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()  # 404 out of scope, 403 for a role that may not change it
        data = self.write_serializer_class(
            obj,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        data.is_valid(raise_exception=True)
        obj = call(self.update_object, request.user, obj, dict(data.validated_data))
        return self._read(obj)


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


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
    version = VersionField()

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
            "version",
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
        if request is not None:
            self.scope_to(request.user)

    def scope_to(self, user: User) -> None:
        # Units and people of the pairs the user sees; the agreement's pair is checked below.
        for name, model in self.scoped_fields.items():
            if name in self.fields:
                self.fields[name].queryset = scope.queryset(user, model)
        for name in ("lead_units", "support_units"):
            self.fields[name].child_relation.queryset = scope.queryset(user, OrgUnit)
        self.fields["responsible"].queryset = scope.queryset(user, User)
        self.fields["working_group"].child_relation.queryset = scope.queryset(user, User)

    def validate(self, attrs):
        errors = task_errors(attrs, attrs["agreement"])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def task_errors(attrs: dict, agreement: AnnualAgreement, taken: set[str] | None = None) -> dict:
    """What is wrong with a new task of ``agreement`` (field → messages); ``taken``: codes
    already used by other new tasks of the same request."""
    errors: dict[str, list[str]] = {}
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
    if attrs["code"] in (taken or set()) or (
        Task.objects.filter(agreement=agreement, code=attrs["code"]).exists()
    ):
        errors["code"] = [_("Another task of this agreement already has this code.")]
    key_task = attrs.get("key_task")
    if key_task is not None and key_task.plan.partnership_id != partnership.pk:
        errors["key_task"] = [_("The key task belongs to another partnership.")]
    resolution = attrs.get("resolution")
    if resolution is not None and resolution.meeting.partnership_id != partnership.pk:
        errors["resolution"] = [_("The resolution belongs to another partnership.")]
    return errors


def task_values(validated: dict) -> dict:
    """A task's validated body as keyword arguments of ``services.create_task``."""
    values = dict(validated)
    values["milestones"] = [(m["title"], m["due_date"]) for m in values.get("milestones", [])]
    values["targets"] = [
        (t["name"], t["target_value"], t.get("measure", "")) for t in values.get("targets", [])
    ]
    return values


@extend_schema_serializer(component_name="TaskUpdate")  # request: "TaskUpdateRequest"
class TaskUpdateSerializer(TaskCreateSerializer):
    """A change of an open task (``services.update_task``): as a new task, without its
    agreement and resolution, which never change, and without the deadline, which moves
    only through an approved extension. Send the ``version`` read with the task: a change
    made after someone else's is refused with 409. With PATCH, what is left out stays."""

    agreement = None
    resolution = None
    deadline = None
    version = version_input()

    def validate(self, attrs):
        if "deadline" in self.initial_data:
            message = _("The deadline changes only through an approved extension request.")
            raise serializers.ValidationError({"deadline": [message]})
        task = self.context["task"]
        errors: dict[str, list[str]] = {}
        sides = task.partnership.region_ids
        for name in ("lead_units", "support_units"):
            foreign = [u for u in attrs.get(name, []) if u.region_id not in sides]
            if foreign:
                errors[name] = [
                    _("%(unit)s is not a unit of either side of this partnership.") % {"unit": u}
                    for u in foreign
                ]
        key_task = attrs.get("key_task")
        if key_task is not None and key_task.plan.partnership_id != task.partnership.pk:
            errors["key_task"] = [_("The key task belongs to another partnership.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def task_update_values(task: Task, validated: dict) -> dict:
    """The keyword arguments of ``services.update_task``: the task as stored, changed by
    ``validated`` (milestones and targets are left as they are unless given)."""
    units = list(task.task_units.select_related("unit"))
    values = {
        "code": task.code,
        "title": task.title,
        "content": task.content,
        "area": task.area,
        "kind": task.kind,
        "start_date": task.start_date,
        "lead_units": [tu.unit for tu in units if tu.role == TaskUnit.Role.LEAD],
        "support_units": [tu.unit for tu in units if tu.role == TaskUnit.Role.SUPPORT],
        "responsible": task.responsible,
        "working_group": list(task.working_group.all()),
        "priority": task.priority,
        "cadence": task.cadence,
        "key_task": task.key_task,
        "milestones": None,
        "targets": None,
    }
    changes = dict(validated)
    if "milestones" in changes:
        changes["milestones"] = [(m["title"], m["due_date"]) for m in changes["milestones"]]
    if "targets" in changes:
        changes["targets"] = [
            (t["name"], t["target_value"], t.get("measure", "")) for t in changes["targets"]
        ]
    values.update(changes)
    values["version"] = values.get("version") or None
    return values


@extend_schema_serializer(component_name="ResolutionTask")  # request: "ResolutionTaskRequest"
class ResolutionTaskSerializer(TaskCreateSerializer):
    """A task made of a resolution: as a new task, without agreement and resolution."""

    agreement = None
    resolution = None

    def validate(self, attrs):
        return attrs  # checked against the agreement by ResolutionTasksSerializer


class ResolutionTasksSerializer(ScopedRelatedField, serializers.Serializer):
    scoped_fields = {"agreement": AnnualAgreement}

    agreement = serializers.PrimaryKeyRelatedField(queryset=AnnualAgreement.objects.none())
    tasks = ResolutionTaskSerializer(many=True, allow_empty=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["tasks"].child.scope_to(request.user)

    def validate(self, attrs):
        agreement, resolution = attrs["agreement"], self.context["resolution"]
        if agreement.partnership_id != resolution.meeting.partnership_id:
            raise serializers.ValidationError(
                {"agreement": [_("The agreement belongs to another partnership.")]}
            )
        taken: set[str] = set()
        errors = []
        for item in attrs["tasks"]:
            errors.append(task_errors(item, agreement, taken))
            taken.add(item["code"])
        if any(errors):
            raise serializers.ValidationError({"tasks": errors})
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
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["code", "title", "content"]
    ordering_fields = ["code", "deadline", "start_date", "percent"]

    def get_queryset(self):
        return self.tasks_queryset(super().get_queryset())

    @staticmethod
    def tasks_queryset(qs):
        """Tasks with what their serializer shows."""
        return qs.select_related("responsible").prefetch_related(
            Prefetch("task_units", TaskUnit.objects.select_related("unit__region")),
            "milestones",
            "targets",
            "working_group",
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
        task = call(services.create_task, request.user, **task_values(data.validated_data))
        return self._task_response(task, status.HTTP_201_CREATED)

    @extend_schema(request=TaskUpdateSerializer, responses=TaskSerializer)
    def update(self, request, *args, **kwargs):
        """Change an open task (coordinators only); 409 when ``version`` is no longer the
        task's (someone changed it since it was read)."""
        task = self.get_object()  # 404 out of scope, 403 for a role that may not change it
        data = TaskUpdateSerializer(
            data=request.data,
            partial=kwargs.get("partial", False),
            context={**self.get_serializer_context(), "task": task},
        )
        data.is_valid(raise_exception=True)
        values = task_update_values(task, data.validated_data)
        task = call(services.update_task, request.user, task, **values)
        return self._task_response(task)

    @extend_schema(request=TaskUpdateSerializer, responses=TaskSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change some fields of an open task; what is left out stays as it is."""
        return self.update(request, *args, partial=True, **kwargs)

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


# --- Meetings -----------------------------------------------------------------------------


class AttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendee
        fields = ["id", "side", "org_unit", "name", "title"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Attendee")  # request: "AttendeeRequest"
class AttendeeWriteSerializer(ScopedRelatedField, serializers.ModelSerializer):
    scoped_fields = {"side": Region, "org_unit": OrgUnit}

    class Meta:
        model = Attendee
        fields = ["side", "org_unit", "name", "title"]
        extra_kwargs = {"org_unit": {"required": False}, "title": {"required": False}}


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ["id", "order", "title", "presenter", "issue"]
        read_only_fields = fields


@extend_schema_serializer(component_name="AgendaItem")  # request: "AgendaItemRequest"
class AgendaItemWriteSerializer(ScopedRelatedField, serializers.Serializer):
    """An item of the agenda: a title, or an open coordination issue of the pair."""

    scoped_fields = {"issue": CoordinationIssue}

    issue = serializers.PrimaryKeyRelatedField(
        queryset=CoordinationIssue.objects.none(), required=False, allow_null=True, default=None
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    presenter = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    order = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ResolutionSerializer(serializers.ModelSerializer):
    tasks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Resolution
        fields = ["id", "number", "text", "tasks"]
        read_only_fields = fields


@extend_schema_serializer(component_name="Resolution")  # request: "ResolutionRequest"
class ResolutionWriteSerializer(serializers.Serializer):
    number = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Left out: the next number of the meeting."),
    )
    text = serializers.CharField()


class MeetingSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    attendees = AttendeeSerializer(many=True, read_only=True)
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    resolutions = ResolutionSerializer(many=True, read_only=True)
    version = VersionField()

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
            "version",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Meeting")  # request: "MeetingRequest"
class MeetingWriteSerializer(ServiceWriteSerializer):
    """A joint conference. Left out: the pair's next number, the year of the date, the
    partner side as host and as place; on a change, a number, year or host left out stays."""

    scoped_fields = {"partnership": Partnership, "host_side": Region}
    version = version_input()

    class Meta:
        model = Meeting
        fields = [
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
            "version",
        ]
        validators: list = []  # plan_services checks the rules, with the field concerned
        extra_kwargs = {
            name: {"required": False} for name in ("number", "year", "host_side", "place", "status")
        }


class MeetingFilter(filters.FilterSet):
    class Meta:
        model = Meeting
        fields = ["partnership", "year", "status"]


def _item_id() -> OpenApiParameter:
    return OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    **write_schema(MeetingWriteSerializer, MeetingSerializer),
    destroy=extend_schema(exclude=True),
)
class MeetingViewSet(ServiceWriteMixin, ScopedViewSet):
    """Joint conferences: read by the pair's internal roles, recorded by its coordinators
    with their attendees, agenda items and resolutions (sub-routes below)."""

    model = Meeting
    serializer_class = MeetingSerializer
    write_serializer_class = MeetingWriteSerializer
    filterset_class = MeetingFilter
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

    def create_object(self, user, data):
        return plan_services.create_meeting(user, **data)

    def update_object(self, user, obj, data):
        return plan_services.update_meeting(user, obj, **data)

    def destroy(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)  # meetings are kept

    def _writable(self) -> Meeting:
        meeting = self.get_object()
        if not services.can_coordinate(self.request.user, meeting.partnership):
            raise exceptions.PermissionDenied()
        return meeting

    def _item(self, queryset, item_id):
        item = queryset.filter(pk=item_id).first()
        if item is None:
            raise exceptions.NotFound()
        return item

    @extend_schema(request=AttendeeWriteSerializer, responses={201: AttendeeSerializer})
    @action(detail=True, methods=["post"], url_path="attendees")
    def add_attendee(self, request, pk=None):
        """An attendee of one side of the pair, optionally of one of that side's units."""
        meeting = self._writable()
        data = AttendeeWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        attendee = call(plan_services.add_attendee, request.user, meeting, **data.validated_data)
        return Response(AttendeeSerializer(attendee).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[_item_id()])
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"attendees/(?P<item_id>[0-9]+)",
        url_name="attendee-delete",
    )
    def remove_attendee(self, request, pk=None, item_id=None):
        meeting = self._writable()
        attendee = self._item(meeting.attendees, item_id)
        call(plan_services.remove_attendee, request.user, attendee)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=AgendaItemWriteSerializer, responses={201: AgendaItemSerializer})
    @action(detail=True, methods=["post"], url_path="agenda-items")
    def add_agenda_item(self, request, pk=None):
        """Put an item on the agenda; an issue put there is marked as on the agenda."""
        meeting = self._writable()
        data = AgendaItemWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        item = call(services.add_agenda_item, request.user, meeting, **data.validated_data)
        return Response(AgendaItemSerializer(item).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[_item_id()])
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"agenda-items/(?P<item_id>[0-9]+)",
        url_name="agenda-item-delete",
    )
    def remove_agenda_item(self, request, pk=None, item_id=None):
        """Take an item off the agenda; its issue is open again."""
        meeting = self._writable()
        item = self._item(meeting.agenda_items, item_id)
        call(services.remove_agenda_item, request.user, item)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ResolutionWriteSerializer, responses={201: ResolutionSerializer})
    @action(detail=True, methods=["post"], url_path="resolutions")
    def add_resolution(self, request, pk=None):
        """A decision of the meeting (议定事项)."""
        meeting = self._writable()
        data = ResolutionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolution = call(
            plan_services.add_resolution, request.user, meeting, **data.validated_data
        )
        return Response(ResolutionSerializer(resolution).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, parameters=[_item_id()])
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"resolutions/(?P<item_id>[0-9]+)",
        url_name="resolution-delete",
    )
    def remove_resolution(self, request, pk=None, item_id=None):
        """Remove a resolution no task was made of (400 otherwise)."""
        meeting = self._writable()
        resolution = self._item(meeting.resolutions, item_id)
        call(plan_services.remove_resolution, request.user, resolution)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ResolutionTasksSerializer,
        responses={201: TaskSerializer(many=True)},
        parameters=[_item_id()],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"resolutions/(?P<item_id>[0-9]+)/tasks",
        url_name="resolution-tasks",
    )
    def resolution_tasks(self, request, pk=None, item_id=None):
        """Turn a resolution into one or more tasks of an agreement of the same pair, linked
        both ways (all or none)."""
        meeting = self._writable()
        resolution = self._item(meeting.resolutions, item_id)
        context = {**self.get_serializer_context(), "resolution": resolution}
        data = ResolutionTasksSerializer(data=request.data, context=context)
        data.is_valid(raise_exception=True)
        created = call(
            services.resolution_to_tasks,
            request.user,
            resolution,
            agreement=data.validated_data["agreement"],
            tasks=[task_values(item) for item in data.validated_data["tasks"]],
        )
        tasks = TaskViewSet.tasks_queryset(scope.queryset(request.user, Task)).filter(
            pk__in=[t.pk for t in created]
        )
        return Response(
            TaskSerializer(tasks.order_by("code"), many=True).data, status.HTTP_201_CREATED
        )


# --- Annual agreements --------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    task_count = serializers.IntegerField(read_only=True)
    version = VersionField()

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
            "version",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Agreement")  # request: "AgreementRequest"
class AgreementWriteSerializer(ServiceWriteSerializer):
    """An annual agreement. Left out: the live implementation plan, and a title naming the
    pair and the year."""

    scoped_fields = {"partnership": Partnership, "meeting": Meeting, "plan": Plan}
    version = version_input()

    class Meta:
        model = AnnualAgreement
        fields = [
            "partnership",
            "year",
            "title",
            "status",
            "meeting",
            "plan",
            "preamble",
            "version",
        ]
        validators: list = []
        extra_kwargs = {name: {"required": False} for name in ("title", "status")}


class AgreementFilter(filters.FilterSet):
    class Meta:
        model = AnnualAgreement
        fields = ["partnership", "year", "status", "meeting", "plan"]


@extend_schema_view(**write_schema(AgreementWriteSerializer, AgreementSerializer))
class AgreementViewSet(ServiceWriteMixin, ScopedViewSet):
    """Annual agreements (年度协议) with the size of their task lists; recorded by the
    pair's coordinators."""

    model = AnnualAgreement
    serializer_class = AgreementSerializer
    write_serializer_class = AgreementWriteSerializer
    filterset_class = AgreementFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["title"]
    ordering_fields = ["year", "title"]

    def get_queryset(self):
        qs = super().get_queryset().annotate(task_count=Count("tasks"))
        return qs.order_by(*AnnualAgreement._meta.ordering)

    def create_object(self, user, data):
        return plan_services.create_agreement(user, **data)

    def update_object(self, user, obj, data):
        return plan_services.update_agreement(user, obj, **data)


# --- Plans and key tasks ------------------------------------------------------------------


class KeyTaskSerializer(serializers.ModelSerializer):
    tasks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = KeyTask
        fields = ["id", "plan", "area", "code", "title", "description", "tasks", "version"]
        read_only_fields = fields


@extend_schema_serializer(component_name="KeyTask")  # request: "KeyTaskRequest"
class KeyTaskWriteSerializer(ServiceWriteSerializer):
    """A key task of a live plan. Left out on creation: the area's next code (CY1, CY2 …)."""

    fixed = "plan"
    scoped_fields = {"plan": Plan}
    version = version_input()

    class Meta:
        model = KeyTask
        fields = ["plan", "area", "code", "title", "description", "version"]
        validators: list = []
        extra_kwargs = {"code": {"required": False}, "description": {"required": False}}


class KeyTaskMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])


class PlanSerializer(serializers.ModelSerializer):
    key_tasks = KeyTaskSerializer(many=True, read_only=True)
    version = VersionField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "partnership",
            "kind",
            "title",
            "start_year",
            "end_year",
            "status",
            "summary",
            "adopted_at",
            "key_tasks",
            "version",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="Plan")  # request: "PlanRequest"
class PlanWriteSerializer(ServiceWriteSerializer):
    """An overall or five-year implementation plan; created live, closed by ``close``."""

    scoped_fields = {"partnership": Partnership, "adopted_at": Meeting}
    start_year = serializers.IntegerField(min_value=2000, max_value=2100)
    end_year = serializers.IntegerField(min_value=2000, max_value=2100)
    version = version_input()

    class Meta:
        model = Plan
        fields = [
            "partnership",
            "kind",
            "title",
            "start_year",
            "end_year",
            "summary",
            "adopted_at",
            "version",
        ]
        validators: list = []
        extra_kwargs = {"summary": {"required": False}, "adopted_at": {"required": False}}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("start_year", getattr(self.instance, "start_year", None))
        end = attrs.get("end_year", getattr(self.instance, "end_year", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_year": [_("The plan cannot end before it starts.")]}
            )
        return attrs


class PlanCloseSerializer(serializers.Serializer):
    version = version_input()


class PlanFilter(filters.FilterSet):
    class Meta:
        model = Plan
        fields = ["partnership", "kind", "status"]


class KeyTaskFilter(filters.FilterSet):
    class Meta:
        model = KeyTask
        fields = ["plan", "area"]


@extend_schema_view(**write_schema(PlanWriteSerializer, PlanSerializer))
class PlanViewSet(ServiceWriteMixin, ScopedViewSet):
    """Plans (总体方案, 实施方案) with their key tasks: the pair's coordinators record and
    change a live plan and close it; a closed plan is read-only history (403 on a change)."""

    model = Plan
    serializer_class = PlanSerializer
    write_serializer_class = PlanWriteSerializer
    filterset_class = PlanFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    search_fields = ["title", "summary"]
    ordering_fields = ["start_year", "title"]

    def get_queryset(self):
        key_tasks = KeyTask.objects.prefetch_related("tasks")
        return super().get_queryset().prefetch_related(Prefetch("key_tasks", key_tasks))

    def create_object(self, user, data):
        return plan_services.create_plan(user, **data)

    def update_object(self, user, obj, data):
        return plan_services.update_plan(user, obj, **data)

    @extend_schema(request=PlanCloseSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the plan: from now on it and its key tasks are read-only history."""
        plan = self.get_object()
        if not services.can_coordinate(request.user, plan.partnership):
            raise exceptions.PermissionDenied()
        data = PlanCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = data.validated_data.get("version")
        plan = call(plan_services.close_plan, request.user, plan, version=version)
        return self._read(plan)


@extend_schema_view(**write_schema(KeyTaskWriteSerializer, KeyTaskSerializer))
class KeyTaskViewSet(ServiceWriteMixin, ScopedViewSet):
    """Key tasks of the plans, by area; changed only while their plan is live. A key task
    that tasks implement cannot be deleted (400)."""

    model = KeyTask
    serializer_class = KeyTaskSerializer
    write_serializer_class = KeyTaskWriteSerializer
    filterset_class = KeyTaskFilter
    search_fields = ["code", "title", "description"]
    ordering_fields = ["code", "area"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("tasks")

    def create_object(self, user, data):
        return plan_services.create_key_task(user, data.pop("plan"), **data)

    def update_object(self, user, obj, data):
        return plan_services.update_key_task(user, obj, **data)

    def perform_destroy(self, instance):
        call(plan_services.delete_key_task, self.request.user, instance)

    @extend_schema(request=KeyTaskMoveSerializer, responses=KeyTaskSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the key task up or down within its area (it swaps codes with its neighbour)."""
        key_task = self.get_object()
        if not services.can_coordinate(request.user, key_task.plan.partnership):
            raise exceptions.PermissionDenied()
        data = KeyTaskMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call(plan_services.move_key_task, request.user, key_task, **data.validated_data)
        return self._read(key_task)
