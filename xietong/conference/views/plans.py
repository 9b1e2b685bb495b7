"""Plans (总体方案, 实施方案) with their key tasks, and annual agreements (年度协议):
their task summary, planned against actual, carry-over to next year and the Word export.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from xietong.core import scope
from xietong.core.models import Programme

from .. import docx, queries, services
from ..forms_meetings import AgreementForm, CarryOverForm
from ..models import AnnualAgreement, Area, LightRules, Plan, Task, TaskUnit
from .meetings import chosen_pair, deny, docx_response, partnership_filter, require_coordinator

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
        {"groups": list(groups.items()), "pairs": pairs, "current": current},
    )


@login_required
def plan_detail(request, pk):
    user = request.user
    plan = scope.get_or_404(
        user,
        Plan,
        pk=pk,
    )
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
    return render(
        request,
        "conference/plan_detail.html",
        {
            "plan": plan,
            "object": plan,
            "areas": areas,
            "has_key_tasks": any(items for _v, _l, items in areas),
            "agreements": queries.agreements(user).filter(plan=plan).order_by("-year"),
            "other_plans": queries.plans(user)
            .filter(partnership=plan.partnership)
            .exclude(pk=plan.pk),
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


@login_required
def agreement_create(request):
    user = request.user
    if not scope.can(user, "create", AnnualAgreement):
        deny()
    if request.method == "POST":
        form = AgreementForm(request.POST, user=user)
        if form.is_valid():
            agreement = form.save()
            messages.success(request, _("Saved: %(object)s") % {"object": agreement})
            return redirect("conference:agreement_detail", pk=agreement.pk)
    else:
        pair = chosen_pair(request)
        initial = {}
        if pair is not None:
            meetings = queries.meetings(user).filter(partnership=pair).order_by("-date")
            last = meetings.first()
            year = last.year if last else None
            initial = {
                "partnership": pair,
                "meeting": last,
                "year": year,
                "plan": pair.plans.filter(
                    kind=Plan.Kind.IMPLEMENTATION, status=Plan.Status.LIVE
                ).first(),
            }
        form = AgreementForm(initial=initial, user=user)
    return render(request, "conference/agreement_form.html", {"form": form, "object": None})


@login_required
def agreement_edit(request, pk):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    require_coordinator(request.user, agreement.partnership)
    form = AgreementForm(request.POST or None, instance=agreement, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved: %(object)s") % {"object": agreement})
        return redirect("conference:agreement_detail", pk=agreement.pk)
    return render(request, "conference/agreement_form.html", {"form": form, "object": agreement})


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
    """The traffic-light rules of a programme: read by its members, set by its coordinators."""
    programme = scope.get_or_404(request.user, Programme, pk=programme_pk)
    rules = LightRules.objects.filter(programme=programme).first() or LightRules(
        programme=programme
    )
    g = scope.grants(request.user)
    can_edit = g.admin or programme.pk in g.manage_programmes
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
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("agreements/", agreement_list, name="agreement_list"),
    path("agreements/new/", agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/carry-over/", agreement_carry_over, name="agreement_carry_over"),
    path("agreements/<int:pk>/word/", agreement_docx, name="agreement_docx"),
]
