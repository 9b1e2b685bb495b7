"""Plans (总体方案, 实施方案) with their key tasks, and annual agreements (年度协议):
their task summary, planned against actual, carry-over to next year and the Word export.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xietong.core import crud, scope
from xietong.core.models import Programme

from .. import docx, plan_services, queries, services
from ..forms_meetings import AgreementForm, CarryOverForm, coordinated_partnerships
from ..forms_plans import KeyTaskForm, PlanForm, VersionForm
from ..models import AnnualAgreement, Area, KeyTask, LightRules, Plan, Task, TaskUnit
from ..versions import EditConflict, version_of
from .meetings import (
    ServiceEditMixin,
    chosen_pair,
    deny,
    docx_response,
    partnership_filter,
    require_coordinator,
)

# --- Plans ----------------------------------------------------------------------------


@login_required
def plan_list(request):
    """Per pair: the live plans first, then the closed ones as history."""
    qs = (
        queries.plans(request.user)
        .select_related("partnership__developed_side", "partnership__partner_side", "adopted_at")
        .annotate(key_task_count=Count("key_tasks"))
        .order_by("partnership", "-start_year", "kind")
    )
    qs, pairs, current = partnership_filter(request, qs)
    groups: OrderedDict = OrderedDict()
    for plan in qs:
        live, closed = groups.setdefault(plan.partnership, ([], []))
        (live if plan.status == Plan.Status.LIVE else closed).append(plan)
    return render(
        request,
        "conference/plan_list.html",
        {
            "groups": list(groups.items()),
            "pairs": pairs,
            "current": current,
            "can_create": coordinated_partnerships(request.user).exists(),
        },
    )


@login_required
def plan_detail(request, pk):
    user = request.user
    plan = scope.get_or_404(user, Plan, pk=pk)
    can_edit = plan.status == Plan.Status.LIVE and services.can_coordinate(user, plan.partnership)
    tasks = (
        queries.tasks(user)
        .filter(key_task__plan=plan)
        .select_related("agreement")
        .order_by("agreement__year", "code")
    )
    key_tasks = plan.key_tasks.prefetch_related(
        Prefetch("tasks", queryset=tasks, to_attr="visible_tasks")
    )
    areas = [
        (value, label, [kt for kt in key_tasks if kt.area == value])
        for value, label in Area.choices
    ]
    for _value, _label, items in areas:
        for i, kt in enumerate(items):
            kt.first, kt.last = i == 0, i == len(items) - 1
    return render(
        request,
        "conference/plan_detail.html",
        {
            "plan": plan,
            "object": plan,
            "can_edit": can_edit,
            "version": version_of(plan),
            "areas": areas,
            "has_key_tasks": any(items for _v, _l, items in areas),
            "agreements": queries.agreements(user).filter(plan=plan).order_by("-year"),
            "other_plans": queries.plans(user)
            .filter(partnership=plan.partnership)
            .exclude(pk=plan.pk),
        },
    )


# --- Plan pages: create, edit, close; key tasks -------------------------------------


class PlanFormMixin(ServiceEditMixin):
    model = Plan
    form_class = PlanForm
    url_base = "conference:plan"
    new_title = gettext_lazy("New plan")
    list_title = gettext_lazy("Plans")


class PlanCreate(PlanFormMixin, crud.ObjectCreateView):
    def get_initial(self):
        pair = chosen_pair(self.request)
        return {"partnership": pair, "kind": Plan.Kind.IMPLEMENTATION} if pair else {}

    def save(self, form):
        return plan_services.create_plan(self.request.user, **form.service_kwargs())


def _live(plan: Plan) -> Plan:
    """A closed plan is history: its pages offer no change and refuse one (403)."""
    if plan.status != Plan.Status.LIVE:
        raise PermissionDenied(
            _("This plan is closed: it is kept as history and can no longer be changed.")
        )
    return plan


class PlanEdit(PlanFormMixin, crud.ObjectEditView):
    def get_object(self, queryset=None):
        return _live(super().get_object(queryset))

    def save(self, form):
        return plan_services.update_plan(self.request.user, self.object, **form.service_kwargs())


def _writable_plan(request, pk) -> Plan:
    plan = scope.get_or_404(request.user, Plan, pk=pk)
    require_coordinator(request.user, plan.partnership)
    return _live(plan)


@require_POST
@login_required
def plan_close(request, pk):
    """Close a live plan (it becomes read-only history), as it was shown to the user."""
    plan = _writable_plan(request, pk)
    form = VersionForm(request.POST, instance=plan)
    if form.is_valid():
        try:
            plan_services.close_plan(request.user, plan, version=form.cleaned_data["version"])
        except EditConflict:
            messages.error(
                request,
                _("The plan was changed by someone else meanwhile: check it and close it again."),
            )
            return redirect("conference:plan_detail", pk=plan.pk)
        messages.success(request, _("Closed: %(plan)s") % {"plan": plan})
    return redirect("conference:plan_detail", pk=plan.pk)


class KeyTaskFormMixin(ServiceEditMixin):
    model = KeyTask
    form_class = KeyTaskForm
    url_base = "conference:plan"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("user")  # a key task's choices do not depend on the user
        return kwargs

    def parent(self):
        return reverse("conference:plan_detail", args=[self.plan.pk]), self.plan.title

    def cancel_url(self):
        return self.get_success_url()

    def get_success_url(self):
        anchor = f"#key-task-{self.object.pk}" if getattr(self, "object", None) else ""
        return reverse("conference:plan_detail", args=[self.plan.pk]) + anchor


class KeyTaskCreate(KeyTaskFormMixin, crud.ObjectCreateView):
    new_title = gettext_lazy("New key task")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.plan = _writable_plan(request, kwargs["plan_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        area = self.request.GET.get("area", "")
        if area not in Area.values:
            return {}
        return {"area": area, "code": plan_services.next_key_task_code(self.plan, area)}

    def save(self, form):
        return plan_services.create_key_task(self.request.user, self.plan, **form.service_kwargs())


class KeyTaskEdit(KeyTaskFormMixin, crud.ObjectEditView):
    def get_object(self, queryset=None):
        key_task = super().get_object(queryset)
        self.plan = _live(key_task.plan)
        return key_task

    def save(self, form):
        return plan_services.update_key_task(
            self.request.user, self.object, **form.service_kwargs()
        )


def _writable_key_task(request, pk) -> KeyTask:
    key_task = scope.get_or_404(request.user, KeyTask, pk=pk)
    _writable_plan(request, key_task.plan_id)
    return key_task


@require_POST
@login_required
def key_task_move(request, pk):
    key_task = _writable_key_task(request, pk)
    try:
        plan_services.move_key_task(
            request.user, key_task, direction=request.POST.get("direction", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    url = reverse("conference:plan_detail", args=[key_task.plan_id])
    return redirect(f"{url}#key-task-{key_task.pk}")


@login_required
def key_task_delete(request, pk):
    """Confirm, then delete; a key task that tasks implement is kept, and the page says why."""
    key_task = _writable_key_task(request, pk)
    plan_url = reverse("conference:plan_detail", args=[key_task.plan_id])
    if request.method == "POST":
        try:
            plan_services.delete_key_task(request.user, key_task)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(f"{plan_url}#key-task-{key_task.pk}")
        messages.success(request, _("Deleted: %(object)s") % {"object": key_task})
        return redirect(plan_url)
    tasks = queries.tasks(request.user).filter(key_task=key_task).select_related("agreement")
    return render(
        request,
        "conference/plan_key_task_delete.html",
        {
            "key_task": key_task,
            "plan": key_task.plan,
            "tasks": tasks.order_by("agreement__year", "code"),
            "plan_url": plan_url,
        },
    )


# --- Annual agreements ----------------------------------------------------------------


@login_required
def agreement_list(request):
    qs = (
        queries.agreements(request.user)
        .annotate(
            task_count=Count("tasks", distinct=True),
            closed_count=Count("tasks", filter=Q(tasks__stage=Task.Stage.CLOSED), distinct=True),
        )
        .order_by("partnership", "-year")
    )
    qs, pairs, current = partnership_filter(request, qs)
    groups: OrderedDict = OrderedDict()
    for agreement in qs:
        groups.setdefault(agreement.partnership, []).append(agreement)
    return render(
        request,
        "conference/agreement_list.html",
        {
            "groups": list(groups.items()),
            "pairs": pairs,
            "current": current,
            "can_create": scope.can(request.user, "create", AnnualAgreement),
        },
    )


class AgreementFormMixin(ServiceEditMixin):
    model = AnnualAgreement
    form_class = AgreementForm
    url_base = "conference:agreement"
    new_title = gettext_lazy("New annual agreement")
    list_title = gettext_lazy("Annual agreements")


class AgreementCreate(AgreementFormMixin, crud.ObjectCreateView):
    def get_initial(self):
        """The pair's latest meeting and its year, and the live implementation plan."""
        pair = chosen_pair(self.request)
        if pair is None:
            return {}
        last = queries.meetings(self.request.user).filter(partnership=pair).order_by("-date")
        last = last.first()
        return {
            "partnership": pair,
            "meeting": last,
            "year": last.year if last else None,
            "plan": plan_services.live_implementation_plan(pair),
        }

    def save(self, form):
        return plan_services.create_agreement(self.request.user, **form.service_kwargs())


class AgreementEdit(AgreementFormMixin, crud.ObjectEditView):
    def save(self, form):
        return plan_services.update_agreement(
            self.request.user, self.object, **form.service_kwargs()
        )


def _summary(agreement: AnnualAgreement, tasks: list[Task]) -> dict:
    """Counts by area and status, and planned against actual (closed within the year)."""
    statuses = Task.Status.choices
    by_area = []
    year_end = date(agreement.year, 12, 31)
    for area, label in Area.choices:
        rows = [t for t in tasks if t.area == area]
        planned = len([t for t in rows if t.stage != Task.Stage.TERMINATED])
        closed = [t for t in rows if t.stage == Task.Stage.CLOSED]
        in_year = [t for t in closed if t.closed_on and t.closed_on <= year_end]
        by_area.append(
            {
                "area": area,
                "label": label,
                "counts": [len([t for t in rows if t.status == s]) for s, _l in statuses],
                "total": len(rows),
                "planned": planned,
                "closed": len(in_year),
                "closed_late": len(closed) - len(in_year),
                "rate": round(100 * len(in_year) / planned) if planned else None,
            }
        )
    planned = sum(a["planned"] for a in by_area)
    closed = sum(a["closed"] for a in by_area)
    return {
        "statuses": statuses,
        "by_area": by_area,
        "status_totals": [len([t for t in tasks if t.status == s]) for s, _l in statuses],
        "total": len(tasks),
        "planned": planned,
        "closed": closed,
        "closed_late": sum(a["closed_late"] for a in by_area),
        "rate": round(100 * closed / planned) if planned else None,
    }


def _agreement_tasks(user, agreement: AnnualAgreement):
    return (
        queries.tasks(user)
        .filter(agreement=agreement)
        .select_related("carried_from__agreement", "resolution__meeting", "key_task")
        .prefetch_related(
            Prefetch("task_units", queryset=TaskUnit.objects.select_related("unit__region"))
        )
        .order_by("code")
    )


@login_required
def agreement_detail(request, pk):
    user = request.user
    agreement = scope.get_or_404(user, AnnualAgreement, pk=pk)
    tasks = list(_agreement_tasks(user, agreement).annotate(carried_count=Count("carried_to")))
    for task in tasks:
        units = list(task.task_units.all())
        task.lead_list = [tu.unit for tu in units if tu.role == TaskUnit.Role.LEAD]
    return render(
        request,
        "conference/agreement_detail.html",
        {
            "agreement": agreement,
            "object": agreement,
            "tasks": tasks,
            "summary": _summary(agreement, tasks),
            "can_coordinate": services.can_coordinate(user, agreement.partnership),
            "next_agreements": queries.agreements(user).filter(previous=agreement),
        },
    )


@login_required
def agreement_carry_over(request, pk):
    """Draft next year's agreement, choosing which unfinished tasks carry over."""
    user = request.user
    agreement = scope.get_or_404(user, AnnualAgreement, pk=pk)
    require_coordinator(user, agreement.partnership)
    form = CarryOverForm(request.POST or None, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.carry_over(
                user,
                agreement,
                year=form.cleaned_data["year"],
                task_ids=[t.pk for t in form.cleaned_data["tasks"]],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(count)d task(s) carried over to %(agreement)s.")
                % {
                    "count": draft.tasks.filter(carried_from__agreement=agreement).count(),
                    "agreement": draft,
                },
            )
            return redirect("conference:agreement_detail", pk=draft.pk)
    return render(
        request,
        "conference/agreement_carry_over.html",
        {"agreement": agreement, "object": agreement, "form": form},
    )


@login_required
def agreement_docx(request, pk):
    user = request.user
    agreement = scope.get_or_404(user, AnnualAgreement, pk=pk)
    tasks = _agreement_tasks(user, agreement).select_related("responsible")
    content = docx.agreement_document(agreement, tasks)
    filename = f"{agreement.title}.docx".replace("↔", "-")
    return docx_response(request, content, filename, f"agreement {agreement.pk} {agreement}")


class LightRulesForm(forms.ModelForm):
    class Meta:
        model = LightRules
        fields = ["amber_days_before_due", "amber_days_without_report"]
        widgets = {
            "amber_days_before_due": forms.NumberInput(attrs={"class": "form-control"}),
            "amber_days_without_report": forms.NumberInput(attrs={"class": "form-control"}),
        }


@login_required
def light_rules(request, programme_pk: int):
    """The traffic-light rules of a programme: conference data, so read by the internal
    roles of its pairs (and the administrator, for support) and set by its programme
    coordinators. Anyone else (enterprise users, the auditor) gets a 404."""
    user = request.user
    programme = scope.get_or_404(user, Programme, pk=programme_pk)
    g = scope.grants(user)
    internal = (
        g.admin
        or programme.pk in g.read_programmes
        or (scope.internal_partnerships(user).filter(programme=programme).exists())
    )
    if not internal:
        raise Http404
    rules = LightRules.objects.filter(programme=programme).first() or LightRules(
        programme=programme
    )
    can_edit = programme.pk in g.manage_programmes
    form = LightRulesForm(instance=rules)
    if request.method == "POST":
        if not can_edit:
            deny()
        form = LightRulesForm(request.POST, instance=rules)
        if form.is_valid():
            form.save()
            messages.success(
                request, _("The rules apply from the next daily run of the traffic lights.")
            )
            return redirect("conference:light_rules", programme_pk=programme.pk)
    return render(
        request,
        "conference/light_rules.html",
        {"programme": programme, "rules": rules, "form": form, "can_edit": can_edit},
    )


urlpatterns = [
    path("rules/<int:programme_pk>/", light_rules, name="light_rules"),
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", PlanCreate.as_view(), name="plan_create"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", PlanEdit.as_view(), name="plan_edit"),
    path("plans/<int:pk>/close/", plan_close, name="plan_close"),
    path(
        "plans/<int:plan_pk>/key-tasks/new/",
        KeyTaskCreate.as_view(),
        name="plan_key_task_create",
    ),
    path("plans/key-tasks/<int:pk>/edit/", KeyTaskEdit.as_view(), name="plan_key_task_edit"),
    path("plans/key-tasks/<int:pk>/move/", key_task_move, name="plan_key_task_move"),
    path("plans/key-tasks/<int:pk>/delete/", key_task_delete, name="plan_key_task_delete"),
    path("agreements/", agreement_list, name="agreement_list"),
    path("agreements/new/", AgreementCreate.as_view(), name="agreement_create"),
    path("agreements/<int:pk>/", agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", AgreementEdit.as_view(), name="agreement_edit"),
    path("agreements/<int:pk>/carry-over/", agreement_carry_over, name="agreement_carry_over"),
    path("agreements/<int:pk>/word/", agreement_docx, name="agreement_docx"),
]
