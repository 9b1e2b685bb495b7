"""Pages of the talent exchange: secondments (挂职锻炼) with the yearly target against actuals
and their evaluations, trainings of investment staff (招商人员业务培训) with attendees and each
person's training record, and mutual inspection visits (互动考察).

Thin views: reads start from ``core.scope`` (out of scope → 404), writes go through the
service functions, whose ``may_*`` predicates also decide what the pages offer (a visible
object the role may not change → 403). Edit forms carry the version token and answer 409
with the input kept when someone else saved meanwhile.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.conference.forms_meetings import add_service_errors
from xietong.conference.versions import EditConflict, version_of
from xietong.conference.views.meetings import ServiceEditMixin, partnership_filter
from xietong.core import crud, scope
from xietong.core.models import Partnership, User
from xietong.enterprise import queries as enterprise_queries

from . import services
from .forms_people import (
    CancelForm,
    EvaluationForm,
    SecondmentForm,
    TrainingForm,
    VisitForm,
    attendee_formset,
    side_label,
)
from .models import InspectionVisit, Secondment, Side, Training, TrainingAttendance

# --- Shared ---------------------------------------------------------------------------


def _deny() -> None:
    raise PermissionDenied(_("Your role does not allow this."))


def manageable(user: User, may: Callable[[User, Partnership], bool]) -> list[Partnership]:
    """The visible partnerships where ``may`` lets the user write."""
    return [p for p in scope.internal_partnerships(user) if may(user, p)]


def chosen_pair(request, may: Callable[[User, Partnership], bool]) -> Partnership:
    """The partnership a new record is for: ?partnership=, else the current one, else the
    first the user may write in; 404 for a pair the user does not see, 403 when the user may
    write in none (or not in the one asked for)."""
    user = request.user
    value = request.GET.get("partnership", "")
    if value.isdigit():
        pair = scope.get_or_404(user, Partnership, pk=int(value))
        if not may(user, pair):
            _deny()
        return pair
    pairs = manageable(user, may)
    if not pairs:
        _deny()
    current = getattr(request, "partnership", None)
    if current is not None and any(p.pk == current.pk for p in pairs):
        return current
    return pairs[0]


def year_filter(request, years: set[int]) -> tuple[int | None, list[int]]:
    """?year=<yyyy> among ``years`` (the current year always offered)."""
    years = sorted(years | {timezone.localdate().year}, reverse=True)
    value = request.GET.get("year", "")
    if value.isdigit() and int(value) in years:
        return int(value), years
    return None, years


class PairFormMixin(ServiceEditMixin):
    """Create and edit pages of one partnership's records (the partnership is chosen before
    the form, so every choice of the form is of that partnership)."""

    may: Callable[[User, Partnership], bool] = staticmethod(lambda user, pair: False)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" not in kwargs:
            self.partnership = chosen_pair(request, self.may)
            self.switch_pairs = manageable(request.user, self.may)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not self.may(self.request.user, obj.partnership):
            _deny()
        self.partnership, self.switch_pairs = obj.partnership, []
        return obj

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["partnership"] = self.partnership
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(partnership=self.partnership, switch_pairs=self.switch_pairs)
        return context

    def cancel_url(self) -> str:
        if getattr(self, "object", None) is not None and self.object.pk:
            return reverse(f"{self.url_base}_detail", args=[self.object.pk])
        return reverse(f"{self.url_base}_list") + f"?partnership={self.partnership.pk}"


# --- Secondments ----------------------------------------------------------------------

STATUS_BADGE = {
    Secondment.Status.PLANNED: "bg-blue-lt",
    Secondment.Status.ONGOING: "bg-green-lt",
    Secondment.Status.COMPLETED: "bg-secondary-lt",
    Secondment.Status.CANCELLED: "bg-red-lt",
}
PROGRESS_BADGE = {"met": "bg-green-lt", "within": "bg-yellow-lt", "short": "bg-red-lt"}


def progress_text(progress: services.SecondmentProgress) -> str:
    """The state of a year in words: met, within the range, or short of its minimum."""
    if progress.state == "met":
        return _("Target met")
    if progress.state == "within":
        return _(
            "Minimum of %(minimum)s reached; %(missing)s more to meet the target of %(target)s"
        ) % {
            "minimum": progress.minimum,
            "missing": progress.target - progress.actual,
            "target": progress.target,
        }
    return _("Short: %(missing)s more needed to reach the minimum of %(minimum)s") % {
        "missing": progress.minimum - progress.actual,
        "minimum": progress.minimum,
    }


@login_required
def secondment_list(request):
    """Per partnership and year: the secondments starting in the year and the yearly target
    against actuals (cancelled ones listed, not counted)."""
    user = request.user
    qs = scope.queryset(user, Secondment).order_by("-starts_on", "person_name", "pk")
    qs, pairs, current = partnership_filter(request, qs)
    rows = list(qs)
    year, years = year_filter(request, {s.starts_on.year for s in rows})
    today = timezone.localdate()
    groups = []
    for pair in pairs:
        if current and pair.pk != current:
            continue
        own = [s for s in rows if s.partnership_id == pair.pk]
        pair_years = {year} if year else {s.starts_on.year for s in own} | {today.year}
        for y in sorted(pair_years, reverse=True):
            items = [s for s in own if s.starts_on.year == y]
            for s in items:
                s.badge = STATUS_BADGE[s.status]
            progress = services.secondment_progress(pair, y)
            groups.append(
                {
                    "pair": pair,
                    "year": y,
                    "progress": progress,
                    "state_text": progress_text(progress),
                    "badge": PROGRESS_BADGE[progress.state],
                    "items": items,
                }
            )
    return render(
        request,
        "pairing/secondment_list.html",
        {
            "groups": groups,
            "pairs": pairs,
            "current": current,
            "year": year,
            "years": years,
            "can_create": bool(manageable(user, services.may_manage_secondments)),
        },
    )


@login_required
def secondment_detail(request, pk):
    user = request.user
    secondment = scope.get_or_404(user, Secondment, pk=pk)
    today = timezone.localdate()
    live = not secondment.cancelled
    manage = live and services.may_manage_secondments(user, secondment.partnership)
    evaluate = live and services.may_evaluate(user, secondment)
    final_from = secondment.ends_on.replace(day=1)
    progress = services.secondment_progress(secondment.partnership, secondment.starts_on.year)
    return render(
        request,
        "pairing/secondment_detail.html",
        {
            "secondment": secondment,
            "badge": STATUS_BADGE[secondment.status],
            "can_edit": manage,
            "can_evaluate": evaluate,
            "mid_open": today >= secondment.starts_on,
            "final_open": today >= final_from,
            "final_from": final_from,
            "progress": progress,
            "state_text": progress_text(progress),
            "progress_badge": PROGRESS_BADGE[progress.state],
        },
    )


class SecondmentFormMixin(PairFormMixin):
    model = Secondment
    form_class = SecondmentForm
    url_base = "pairing:secondment"
    template_name = "pairing/secondment_form.html"
    new_title = gettext_lazy("New secondment")
    list_title = gettext_lazy("Secondments")
    may = staticmethod(services.may_manage_secondments)


class SecondmentCreate(SecondmentFormMixin, crud.ObjectCreateView):
    def save(self, form):
        return services.create_secondment(
            self.request.user, partnership=self.partnership, **form.service_kwargs()
        )


class SecondmentEdit(SecondmentFormMixin, crud.ObjectEditView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if obj.cancelled:
            raise PermissionDenied(_("This secondment was cancelled."))
        return obj

    def save(self, form):
        return services.update_secondment(self.request.user, self.object, **form.service_kwargs())


def _conflict(form, exc: EditConflict, field: str, saved: str) -> None:
    """Keep the input, take the current version, show what was saved meanwhile."""
    form.data = form.data.copy()
    form.data["version"] = exc.version
    if saved and saved != form.cleaned_data.get(field):
        form.add_error(field, _("Saved by someone else meanwhile: %(value)s") % {"value": saved})
    form.add_error(None, exc.messages[0])


@login_required
def secondment_evaluate(request, pk, stage):
    """The mid-term (``mid``) or final (``final``) evaluation with its rating."""
    if stage not in ("mid", "final"):
        raise Http404
    user = request.user
    secondment = scope.get_or_404(user, Secondment, pk=pk)
    if not services.may_evaluate(user, secondment):
        _deny()
    status = 200
    if request.method == "POST":
        form = EvaluationForm(request.POST)
        if form.is_valid():
            try:
                services.evaluate_secondment(
                    user,
                    secondment,
                    stage=stage,
                    evaluation=form.cleaned_data["evaluation"],
                    rating=form.cleaned_data["rating"],
                    version=form.cleaned_data["version"],
                )
            except EditConflict as exc:
                _conflict(form, exc, "evaluation", getattr(exc.current, f"{stage}_evaluation"))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The evaluation has been saved."))
                return redirect("pairing:secondment_detail", pk=secondment.pk)
    else:
        form = EvaluationForm(
            initial={
                "evaluation": getattr(secondment, f"{stage}_evaluation"),
                "rating": getattr(secondment, f"{stage}_rating"),
                "version": version_of(secondment),
            }
        )
    title = _("Mid-term evaluation") if stage == "mid" else _("Final evaluation")
    return render(
        request,
        "pairing/secondment_evaluate.html",
        {"secondment": secondment, "form": form, "title": title, "stage": stage},
        status=status,
    )


@login_required
def secondment_cancel(request, pk):
    """Cancel a secondment, with the reason; it is kept and no longer counts."""
    user = request.user
    secondment = scope.get_or_404(user, Secondment, pk=pk)
    if not services.may_manage_secondments(user, secondment.partnership) or secondment.cancelled:
        _deny()
    status = 200
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                services.cancel_secondment(
                    user,
                    secondment,
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                )
            except EditConflict as exc:
                _conflict(form, exc, "reason", "")
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Cancelled: %(object)s") % {"object": secondment.person_name}
                )
                return redirect("pairing:secondment_detail", pk=secondment.pk)
    else:
        form = CancelForm(initial={"version": version_of(secondment)})
    return render(
        request,
        "pairing/secondment_cancel.html",
        {"secondment": secondment, "form": form},
        status=status,
    )


# --- Trainings ------------------------------------------------------------------------


def person_url(user_id: int | None, name: str, unit: str) -> str:
    """The training record page of one person: by account, else by name and unit."""
    query = {"user": user_id} if user_id else {"name": name, "unit": unit}
    return reverse("pairing:person_training") + "?" + urlencode(query)


@login_required
def training_list(request):
    user = request.user
    qs = scope.queryset(user, Training).annotate(
        attendee_count=Count("attendances"), hours_total=Sum("attendances__hours")
    )
    qs, pairs, current = partnership_filter(request, qs)
    years_seen = {d.year for d in qs.dates("held_on", "year")}
    year, years = year_filter(request, years_seen)
    if year:
        qs = qs.filter(held_on__year=year)
    return render(
        request,
        "pairing/training_list.html",
        {
            "trainings": qs.order_by("-held_on", "pk"),
            "pairs": pairs,
            "current": current,
            "year": year,
            "years": years,
            "can_create": bool(manageable(user, services.may_manage_trainings)),
        },
    )


@login_required
def training_detail(request, pk):
    user = request.user
    training = scope.get_or_404(user, Training, pk=pk)
    attendances = list(training.attendances.select_related("unit", "user").order_by("side", "pk"))
    sides = []
    for side in (Side.PARTNER, Side.DEVELOPED):
        people = [a for a in attendances if a.side == side]
        for a in people:
            a.record_url = person_url(a.user_id, a.name, a.unit_label)
        if people:
            sides.append(
                {
                    "label": side_label(training.partnership, side),
                    "people": people,
                    "hours": sum((a.hours for a in people), Decimal("0")),
                }
            )
    return render(
        request,
        "pairing/training_detail.html",
        {
            "training": training,
            "sides": sides,
            "attendee_count": len(attendances),
            "hours_total": sum((a.hours for a in attendances), Decimal("0")),
            "trainers": [line.strip() for line in training.trainers.splitlines() if line.strip()],
            "can_edit": services.may_manage_trainings(user, training.partnership),
        },
    )


class TrainingFormMixin(PairFormMixin):
    model = Training
    form_class = TrainingForm
    url_base = "pairing:training"
    template_name = "pairing/training_form.html"
    new_title = gettext_lazy("New training")
    list_title = gettext_lazy("Trainings")
    may = staticmethod(services.may_manage_trainings)

    def formset(self, data=None):
        training = self.object if getattr(self, "object", None) else None
        return attendee_formset(self.partnership, data, training=training)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["formset"] = getattr(self, "attendees", None) or self.formset()
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object() if "pk" in kwargs else None
        form = self.get_form()
        self.attendees = self.formset(request.POST)
        form_ok, rows_ok = form.is_valid(), self.attendees.is_valid()
        if form_ok and rows_ok:
            return self.form_valid(form)
        return self.form_invalid(form)


class TrainingCreate(TrainingFormMixin, crud.ObjectCreateView):
    def save(self, form):
        return services.create_training(
            self.request.user,
            partnership=self.partnership,
            attendees=self.attendees.attendees(),
            **form.service_kwargs(),
        )


class TrainingEdit(TrainingFormMixin, crud.ObjectEditView):
    def save(self, form):
        return services.update_training(
            self.request.user,
            self.object,
            attendees=self.attendees.attendees(),
            **form.service_kwargs(),
        )


def _attendances(request):
    """Visible attendances, narrowed to ?partnership= and ?year=."""
    qs = scope.queryset(request.user, TrainingAttendance)
    qs, pairs, current = partnership_filter(request, qs, field="training__partnership")
    years_seen = {d.year for d in scope.queryset(request.user, Training).dates("held_on", "year")}
    year, years = year_filter(request, years_seen)
    if year:
        qs = qs.filter(training__held_on__year=year)
    return qs, {"pairs": pairs, "current": current, "year": year, "years": years}


@login_required
def training_records(request):
    """Everyone's training record: hours and sessions per person, most hours first."""
    qs, filters = _attendances(request)
    records = services.training_records(qs)
    for record in records:
        record.url = person_url(record.user_id, record.name, record.unit)
        record.side_label = Side(record.side).label
    return render(request, "pairing/training_records.html", {"records": records, **filters})


@login_required
def person_training(request):
    """One person's training record (?user=<account> or ?name=&unit=): every session
    attended that the viewer sees, and the hours in total."""
    qs = scope.queryset(request.user, TrainingAttendance).select_related(
        "training__partnership__developed_side", "training__partnership__partner_side"
    )
    user_id = request.GET.get("user", "")
    if user_id.isdigit():
        qs = qs.filter(user_id=int(user_id))
    else:
        name, unit = request.GET.get("name", "").strip(), request.GET.get("unit", "").strip()
        if not name:
            raise Http404
        qs = qs.filter(user__isnull=True, name=name).filter(
            Q(unit__name=unit) | Q(unit__isnull=True, unit_name=unit)
        )
    records = services.training_records(qs)
    if not records:
        raise Http404
    record = records[0]
    years: OrderedDict[int, Decimal] = OrderedDict()
    for a in sorted(record.sessions, key=lambda a: a.training.held_on, reverse=True):
        years[a.training.held_on.year] = years.get(a.training.held_on.year, Decimal("0")) + a.hours
    return render(
        request,
        "pairing/person_training.html",
        {
            "record": record,
            "side_label": Side(record.side).label,
            "sessions": sorted(record.sessions, key=lambda a: a.training.held_on, reverse=True),
            "years": list(years.items()),
        },
    )


# --- Inspection visits ----------------------------------------------------------------


@login_required
def visit_list(request):
    """Visits of the user's pairs; an enterprise user sees those of its own enterprise."""
    user = request.user
    qs = scope.queryset(user, InspectionVisit).annotate(enterprise_count=Count("enterprises"))
    value = request.GET.get("partnership", "")
    pairs = list(scope.partnerships(user).filter(pk__in=qs.values("partnership")))
    current = int(value) if value.isdigit() and any(p.pk == int(value) for p in pairs) else None
    if current:
        qs = qs.filter(partnership=current)
    year, years = year_filter(request, {d.year for d in qs.dates("starts_on", "year")})
    if year:
        qs = qs.filter(starts_on__year=year)
    visits = list(qs.order_by("-starts_on", "pk"))
    for v in visits:
        v.visiting_label = side_label(v.partnership, v.visiting_side)
        v.host_label = side_label(v.partnership, v.host_side)
    return render(
        request,
        "pairing/visit_list.html",
        {
            "visits": visits,
            "pairs": pairs,
            "current": current,
            "year": year,
            "years": years,
            "can_create": bool(manageable(user, services.may_manage_visits)),
        },
    )


@login_required
def visit_detail(request, pk):
    user = request.user
    visit = scope.get_or_404(user, InspectionVisit, pk=pk)
    enterprises = list(visit.enterprises.select_related("side").order_by("name", "pk"))
    seen = set(
        enterprise_queries.enterprises(user)
        .filter(pk__in=[e.pk for e in enterprises])
        .values_list("pk", flat=True)
    )
    for e in enterprises:
        e.visible = e.pk in seen
    return render(
        request,
        "pairing/visit_detail.html",
        {
            "visit": visit,
            "visiting_label": side_label(visit.partnership, visit.visiting_side),
            "host_label": side_label(visit.partnership, visit.host_side),
            "enterprises": enterprises,
            "can_edit": services.may_manage_visits(user, visit.partnership),
        },
    )


class VisitFormMixin(PairFormMixin):
    model = InspectionVisit
    form_class = VisitForm
    url_base = "pairing:visit"
    template_name = "pairing/visit_form.html"
    new_title = gettext_lazy("New inspection visit")
    list_title = gettext_lazy("Inspection visits")
    may = staticmethod(services.may_manage_visits)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        query = {"partnership": self.partnership.pk}
        if getattr(self, "object", None) is not None and self.object.pk:
            query["visit"] = self.object.pk
        form.fields["visiting_side"].widget.attrs.update(
            {
                "hx-get": reverse("pairing:visit_enterprises") + "?" + urlencode(query),
                "hx-target": "#visit-enterprises",
                "hx-include": "[name='enterprises']",
                "hx-trigger": "change",
            }
        )
        return form


class VisitCreate(VisitFormMixin, crud.ObjectCreateView):
    def save(self, form):
        return services.create_visit(
            self.request.user, partnership=self.partnership, **form.service_kwargs()
        )


class VisitEdit(VisitFormMixin, crud.ObjectEditView):
    def save(self, form):
        return services.update_visit(self.request.user, self.object, **form.service_kwargs())


@login_required
def visit_enterprises(request):
    """htmx: the enterprise picker of a visit form for the visiting side just chosen."""
    user = request.user
    value = request.GET.get("partnership", "")
    if not value.isdigit():
        raise Http404
    pair = scope.get_or_404(user, Partnership, pk=int(value))
    if not services.may_manage_visits(user, pair):
        _deny()
    visit = None
    if request.GET.get("visit", "").isdigit():
        visit = scope.get_or_404(user, InspectionVisit, pk=int(request.GET["visit"]))
        if visit.partnership_id != pair.pk:
            raise Http404
    side = request.GET.get("visiting_side", "")
    form = VisitForm(
        user=user,
        partnership=pair,
        instance=visit,
        initial={"visiting_side": side, "enterprises": request.GET.getlist("enterprises")},
    )
    return render(request, "pairing/visit_enterprise_options.html", {"field": form["enterprises"]})


urlpatterns = [
    path("secondments/", secondment_list, name="secondment_list"),
    path("secondments/new/", SecondmentCreate.as_view(), name="secondment_create"),
    path("secondments/<int:pk>/", secondment_detail, name="secondment_detail"),
    path("secondments/<int:pk>/edit/", SecondmentEdit.as_view(), name="secondment_edit"),
    path("secondments/<int:pk>/cancel/", secondment_cancel, name="secondment_cancel"),
    path(
        "secondments/<int:pk>/evaluate/<str:stage>/",
        secondment_evaluate,
        name="secondment_evaluate",
    ),
    path("trainings/", training_list, name="training_list"),
    path("trainings/new/", TrainingCreate.as_view(), name="training_create"),
    path("trainings/<int:pk>/", training_detail, name="training_detail"),
    path("trainings/<int:pk>/edit/", TrainingEdit.as_view(), name="training_edit"),
    path("trainings/records/", training_records, name="training_records"),
    path("trainings/records/person/", person_training, name="person_training"),
    path("visits/", visit_list, name="visit_list"),
    path("visits/new/", VisitCreate.as_view(), name="visit_create"),
    path("visits/<int:pk>/", visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", VisitEdit.as_view(), name="visit_edit"),
    path("visits/enterprises/", visit_enterprises, name="visit_enterprises"),
]
