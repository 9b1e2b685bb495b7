"""Task pages: create, edit, the detail page with its workflow actions, and "my tasks".

Views are thin: they find the object through ``conference.queries`` (out of scope → 404),
let the service decide (PermissionDenied → the 403 page, ValidationError → a message on
the page) and show only the buttons the user may use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.core import scope
from xietong.core.models import User
from xietong.core.uploads import clean_filename, safe_storage_name

from .. import queries, services
from ..forms_meetings import add_service_errors
from ..forms_tasks import (
    ClaimForm,
    CompletionReviewForm,
    ExtensionDecisionForm,
    ExtensionForm,
    ReportForm,
    ReviewReportForm,
    TaskForm,
    TerminateForm,
    current_period,
    task_initial,
)
from ..models import (
    AnnualAgreement,
    Attachment,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Task,
    TaskEvent,
    TaskUnit,
)
from ..versions import EditConflict

# --- Finding things -------------------------------------------------------------------


def _task(user: User, pk: int) -> Task:
    return scope.get_or_404(user, Task, pk=pk)


def _agreement(user: User, pk: int) -> AnnualAgreement:
    return scope.get_or_404(user, AnnualAgreement, pk=pk)


@dataclass(frozen=True)
class Rights:
    """What the user may do on a task: the role (who) and the stage (when) together."""

    coordinate: bool
    lead: bool  # works in one of the task's lead units
    acknowledge: bool
    report: bool
    claim: bool
    review: bool
    own_claim: bool  # the user claimed the completion that waits for review
    extend: bool
    terminate: bool
    edit: bool

    @property
    def has_forms(self) -> bool:
        return self.report or self.review or self.claim or self.extend or self.terminate


def rights(user: User, task: Task) -> Rights:
    coordinate = services.can_coordinate(user, task.partnership)
    lead_units = services.staff_units(user, task)
    lead = bool(lead_units)
    worker = lead or coordinate
    open_ = task.is_open
    pending_ext = any(e.status == ExtensionRequest.Status.PENDING for e in task.extensions.all())
    claimed = task.stage == Task.Stage.CLAIMED
    return Rights(
        coordinate=coordinate,
        lead=lead,
        acknowledge=open_ and any(tu.acknowledged_at is None for tu in lead_units),
        report=worker and open_ and not claimed,
        claim=worker and open_ and not claimed,
        # Separation of duties: whoever claimed completion does not review the claim.
        review=coordinate and claimed and services.claimed_by(task) != user.pk,
        own_claim=claimed and services.claimed_by(task) == user.pk,
        extend=worker and open_ and not pending_ext,
        terminate=coordinate and open_,
        edit=coordinate and open_,
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Your role does not allow this."))


# --- Create and edit ------------------------------------------------------------------


@login_required
def task_create(request, agreement_pk: int):
    agreement = _agreement(request.user, agreement_pk)
    _require(services.can_coordinate(request.user, agreement.partnership))
    form = TaskForm(
        request.POST or None,
        user=request.user,
        agreement=agreement,
        initial={"start_date": timezone.localdate(), "code": _next_code(agreement)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            task = services.create_task(request.user, agreement=agreement, **form.service_kwargs())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Task %(code)s created.") % {"code": task.code})
            return redirect("conference:task_detail", pk=task.pk)
    return render(
        request,
        "conference/task_form.html",
        {"form": form, "agreement": agreement, "task": None},
        status=400 if form.errors else 200,
    )


def _next_code(agreement: AnnualAgreement) -> str:
    count = agreement.tasks.count() + 1
    code = f"{agreement.year}-{count:03d}"
    while agreement.tasks.filter(code=code).exists():
        count += 1
        code = f"{agreement.year}-{count:03d}"
    return code


@login_required
def task_edit(request, pk: int):
    """Edit an open task. The form carries the task's version: a save made after someone
    else's answers 409 with the input kept and the values saved meanwhile shown."""
    task = _task(request.user, pk)
    _require(services.can_coordinate(request.user, task.partnership))
    form = TaskForm(
        request.POST or None,
        user=request.user,
        agreement=task.agreement,
        task=task,
        initial=task_initial(task),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                task = services.update_task(request.user, task, **form.service_kwargs())
            except EditConflict as exc:
                form.show_conflict(exc)
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved: %(object)s") % {"object": task})
                return redirect("conference:task_detail", pk=task.pk)
    return render(
        request,
        "conference/task_form.html",
        {"form": form, "agreement": task.agreement, "task": task},
        status=status,
    )


# --- Detail ---------------------------------------------------------------------------


def _detail_task(user: User, pk: int) -> Task:
    qs = queries.tasks(user).select_related(
        "agreement__partnership__developed_side",
        "agreement__partnership__partner_side",
        "key_task__plan",
        "resolution__meeting",
        "carried_from__agreement",
    )
    qs = qs.prefetch_related(
        Prefetch(
            "task_units",
            TaskUnit.objects.select_related("unit__region", "acknowledged_by").order_by(
                "role", "unit__region__name", "unit__sort_order"
            ),
        ),
        "working_group",
        "milestones",
        "targets",
        Prefetch("events", TaskEvent.objects.select_related("actor")),
        Prefetch(
            "reports",
            ProgressReport.objects.select_related(
                "submitted_by", "reviewed_by", "unit__region"
            ).prefetch_related("actuals__target", "attachments"),
        ),
        Prefetch(
            "extensions",
            ExtensionRequest.objects.select_related("requested_by", "decided_by"),
        ),
        Prefetch("carried_to", Task.objects.select_related("agreement")),
    )
    try:
        return qs.get(pk=pk)
    except Task.DoesNotExist:
        return _task(user, pk)  # raises 404


def _render_detail(request, task: Task, forms: dict | None = None, status: int = 200):
    user = request.user
    r = rights(user, task)
    targets = list(task.targets.all())
    today = timezone.localdate()
    context = {
        "task": task,
        "rights": r,
        "today": today,
        "units": list(task.task_units.all()),
        "milestones": list(task.milestones.all()),
        "targets": targets,
        "events": list(task.events.all()),
        "reports": _reports(user, task, r),
        "extensions": list(task.extensions.all()),
        "carried_to": list(task.carried_to.all()),
        "links": {
            "meeting": _has_url("conference:meeting_detail"),
            "attachment": _has_url("conference:attachment_download"),
        },
        "report_form": ReportForm(
            task=task,
            targets=targets,
            initial={
                "period": current_period(task.cadence, today),
                "percent": task.percent,
            },
        ),
        "review_report_form": ReviewReportForm(),
        "claim_form": ClaimForm(),
        "review_form": CompletionReviewForm(),
        "extension_form": ExtensionForm(),
        "decision_form": ExtensionDecisionForm(),
        "terminate_form": TerminateForm(),
    }
    context.update(forms or {})
    return render(request, "conference/task_detail.html", context, status=status)


def _reports(user: User, task: Task, r: Rights) -> list[ProgressReport]:
    """The task's reports, each with ``reviewable`` (the user may accept or return it:
    a coordinator, and not its author) and ``own`` (the user submitted it)."""
    reports = list(task.reports.all())
    for report in reports:
        report.own = report.submitted_by_id == user.pk
        report.reviewable = (
            r.coordinate and report.status == ProgressReport.Status.SUBMITTED and not report.own
        )
    return reports


def _has_url(name: str) -> bool:
    """Whether another module's page exists yet (the pages of the app grow in parallel)."""
    try:
        reverse(name, args=[0])
    except NoReverseMatch:
        return False
    return True


@login_required
def task_detail(request, pk: int):
    return _render_detail(request, _detail_task(request.user, pk))


# --- Workflow actions -----------------------------------------------------------------


def _act(request, task: Task, form, form_name: str, perform, done: str):
    """Validate ``form``, run ``perform(data)``; show the page again with the error if not."""
    status = 400
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except services.SeparationOfDuties as exc:
            # Allowed to the role, not to this person: say why on the task's page.
            form.add_error(None, str(exc))
            status = 403
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, done)
            return redirect(reverse("conference:task_detail", args=[task.pk]))
    task = _detail_task(request.user, task.pk)
    return _render_detail(request, task, {form_name: form, "error_form": form}, status=status)


@require_POST
@login_required
def task_acknowledge(request, pk: int):
    task = _task(request.user, pk)
    try:
        units = services.acknowledge(request.user, task)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        names = "、".join(str(tu.unit) for tu in units)
        messages.success(request, _("Acknowledged for %(units)s.") % {"units": names})
    return redirect("conference:task_detail", pk=task.pk)


@require_POST
@login_required
def task_report(request, pk: int):
    task = _task(request.user, pk)
    _require(services.can_report(request.user, task))
    form = ReportForm(request.POST, request.FILES, task=task, targets=task.targets.all())

    @transaction.atomic
    def perform(data):
        report = services.submit_report(
            request.user,
            task,
            period=data["period"],
            narrative=data["narrative"],
            percent=data["percent"],
            actuals=form.actuals(),
        )
        upload = data.get("attachment")
        if upload:
            original = clean_filename(upload.name)
            upload.name = safe_storage_name(form.extension)
            Attachment.objects.create(
                report=report,
                file=upload,
                name=original,
                size=upload.size,
                content_type=form.content_type,
                uploaded_by=request.user,
            )

    return _act(request, task, form, "report_form", perform, _("Progress report submitted."))


@require_POST
@login_required
def report_review(request, pk: int):
    report = scope.get_or_404(request.user, ProgressReport, pk=pk)
    task = report.task
    _require(services.can_coordinate(request.user, task.partnership))
    form = ReviewReportForm(request.POST, report=report)
    return _act(
        request,
        task,
        form,
        "review_report_form",
        lambda d: services.review_report(
            request.user, report, accept=d["decision"] == "accept", comment=d["comment"]
        ),
        _("Report reviewed."),
    )


@require_POST
@login_required
def task_claim(request, pk: int):
    task = _task(request.user, pk)
    _require(services.can_report(request.user, task))
    form = ClaimForm(request.POST)
    return _act(
        request,
        task,
        form,
        "claim_form",
        lambda d: services.claim_completion(request.user, task, evidence=d["evidence"]),
        _("Completion claimed; the coordinator will review it."),
    )


@require_POST
@login_required
def task_review(request, pk: int):
    task = _task(request.user, pk)
    _require(services.can_coordinate(request.user, task.partnership))
    form = CompletionReviewForm(request.POST)
    return _act(
        request,
        task,
        form,
        "review_form",
        lambda d: services.review_completion(
            request.user, task, accept=d["decision"] == "close", comment=d["comment"]
        ),
        _("Completion reviewed."),
    )


@require_POST
@login_required
def task_extension(request, pk: int):
    task = _task(request.user, pk)
    _require(services.can_report(request.user, task))
    form = ExtensionForm(request.POST)
    return _act(
        request,
        task,
        form,
        "extension_form",
        lambda d: services.request_extension(
            request.user, task, new_deadline=d["new_deadline"], reason=d["reason"]
        ),
        _("Extension requested."),
    )


@require_POST
@login_required
def extension_decide(request, pk: int):
    ext = scope.get_or_404(request.user, ExtensionRequest, pk=pk)
    task = ext.task
    _require(services.can_coordinate(request.user, task.partnership))
    form = ExtensionDecisionForm(request.POST)
    return _act(
        request,
        task,
        form,
        "decision_form",
        lambda d: services.decide_extension(
            request.user, ext, approve=d["decision"] == "approve", comment=d["comment"]
        ),
        _("Extension request decided."),
    )


@require_POST
@login_required
def task_terminate(request, pk: int):
    task = _task(request.user, pk)
    _require(services.can_coordinate(request.user, task.partnership))
    form = TerminateForm(request.POST)
    return _act(
        request,
        task,
        form,
        "terminate_form",
        lambda d: services.terminate(request.user, task, reason=d["reason"]),
        _("Task terminated."),
    )


@require_POST
@login_required
def milestone_done(request, pk: int):
    milestone = get_object_or_404(Milestone, pk=pk, task__in=queries.tasks(request.user))
    task = milestone.task
    _require(rights(request.user, task).report)
    try:
        services.complete_milestone(request.user, milestone, done_on=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Milestone recorded as reached: %(m)s") % {"m": milestone})
    return redirect("conference:task_detail", pk=task.pk)


# --- My tasks -------------------------------------------------------------------------


@login_required
def my_tasks(request):
    """The user's own tasks first: due this week, to acknowledge, reports to fix; and, for
    coordinators, what waits for their review."""
    user = request.user
    today = timezone.localdate()
    week = today + timedelta(days=7)
    mine = (
        queries.my_tasks(user)
        .select_related("agreement")
        .prefetch_related(
            Prefetch(
                "milestones",
                Milestone.objects.filter(done_on__isnull=True),
                to_attr="open_milestones",
            )
        )
        .order_by("deadline", "code")
    )
    open_tasks = [t for t in mine if t.is_open]
    due = []
    for t in open_tasks:
        dues = [m for m in t.open_milestones if today <= m.due_date <= week]
        if today <= t.deadline <= week or dues:
            due.append((t, dues))
    overdue = [t for t in open_tasks if t.deadline < today]
    g = scope.grants(user)
    to_acknowledge = (
        TaskUnit.objects.filter(
            task__in=queries.tasks(user).values("pk"),
            unit__in=g.units,
            role=TaskUnit.Role.LEAD,
            acknowledged_at__isnull=True,
        )
        .exclude(task__stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED])
        .select_related("task", "unit__region")
        .order_by("task__deadline", "task__code")
    )
    later = ProgressReport.objects.filter(task=OuterRef("task"), pk__gt=OuterRef("pk"))
    returned = (
        queries.reports(user)
        .filter(status=ProgressReport.Status.RETURNED)
        .filter(Q(task__in=mine.values("pk")) | Q(submitted_by=user))
        .exclude(Exists(later))
        .exclude(task__stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED])
        .order_by("-reviewed_at")
    )
    context = {
        "today": today,
        "week": week,
        "due": due,
        "overdue": overdue,
        "to_acknowledge": to_acknowledge,
        "returned": returned,
        "open_tasks": open_tasks,
        "coordinator": False,
    }
    pairs = _coordinated_pairs(user)
    if pairs is not None:
        claims = TaskEvent.objects.filter(task=OuterRef("pk"), kind=TaskEvent.Kind.CLAIMED)
        claimer = claims.order_by("-at", "-pk").values("actor")[:1]
        in_pairs = {"task__agreement__partnership__in": pairs}
        context.update(
            coordinator=True,
            # Not what the user submitted or claimed: another coordinator reviews that.
            review_reports=queries.reports(user)
            .filter(status=ProgressReport.Status.SUBMITTED, **in_pairs)
            .exclude(submitted_by=user)
            .order_by("submitted_at"),
            review_claims=queries.tasks(user)
            .filter(stage=Task.Stage.CLAIMED, agreement__partnership__in=pairs)
            .annotate(claimer=Coalesce(Subquery(claimer), 0, output_field=IntegerField()))
            .exclude(claimer=user.pk)
            .order_by("deadline"),
            review_extensions=queries.extensions(user)
            .filter(status=ExtensionRequest.Status.PENDING, **in_pairs)
            .select_related("task", "requested_by")
            .order_by("requested_at"),
        )
    return render(request, "conference/my_tasks.html", context)


def _coordinated_pairs(user: User):
    """The pairs whose task list the user coordinates (a queryset), or None."""
    g = scope.grants(user)
    visible = scope.internal_partnerships(user).order_by()
    if not (g.coordinate_partnerships or g.manage_programmes):
        return None
    return visible.filter(
        Q(pk__in=g.coordinate_partnerships) | Q(programme_id__in=g.manage_programmes)
    ).values("pk")


urlpatterns = [
    path("agreements/<int:agreement_pk>/tasks/new/", task_create, name="task_create"),
    path("tasks/<int:pk>/", task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", task_edit, name="task_edit"),
    path("tasks/<int:pk>/acknowledge/", task_acknowledge, name="task_acknowledge"),
    path("tasks/<int:pk>/report/", task_report, name="task_report"),
    path("reports/<int:pk>/review/", report_review, name="report_review"),
    path("tasks/<int:pk>/claim/", task_claim, name="task_claim"),
    path("tasks/<int:pk>/review/", task_review, name="task_review"),
    path("tasks/<int:pk>/extension/", task_extension, name="task_extension"),
    path("extensions/<int:pk>/decide/", extension_decide, name="extension_decide"),
    path("tasks/<int:pk>/terminate/", task_terminate, name="task_terminate"),
    path("milestones/<int:pk>/done/", milestone_done, name="milestone_done"),
    path("my-tasks/", my_tasks, name="my_tasks"),
]
