"""Pages of the core: home, partnership switcher, master data, people, health."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from huey.contrib.djhuey import HUEY

from . import scope
from .audit import record
from .crud import (
    Column,
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from .forms import (
    MembershipForm,
    OrgUnitForm,
    PartnershipForm,
    ProgrammeForm,
    RegionForm,
    UserForm,
)
from .middleware import SESSION_PARTNERSHIP
from .models import Membership, OrgUnit, Partnership, Programme, Region, SecurityEvent, User
from .queries import members_by_partnership


@login_required
def home(request):
    """The user's partnerships with their sides, departments and members."""
    user = request.user
    pairs = list(scope.partnerships(user))
    units = scope.org_units(user).filter(is_active=True)
    units_by_region: dict[int, list[OrgUnit]] = {}
    for unit in units:
        units_by_region.setdefault(unit.region_id, []).append(unit)
    members = members_by_partnership(user, pairs)
    cards = [
        {
            "pair": pair,
            "current": bool(request.partnership) and pair.pk == request.partnership.pk,
            "sides": [(side, units_by_region.get(side.pk, [])) for side in pair.sides],
            "members": members[pair.pk],
        }
        for pair in pairs
    ]
    # One's own roles, whatever their scope (an enterprise user sees no one else's).
    my_roles = Membership.objects.filter(user=user).select_related(
        "programme",
        "partnership__developed_side",
        "partnership__partner_side",
        "region",
        "org_unit__region",
    )
    return render(
        request,
        "core/home.html",
        {
            "cards": cards,
            "my_roles": my_roles,
            "show_internal": scope.grants(user).internal or scope.grants(user).admin,
            "is_auditor_only": scope.can_read_audit(user) and not pairs,
        },
    )


@require_POST
@login_required
def switch_partnership(request):
    pair = scope.get_or_404(request.user, Partnership, pk=request.POST.get("partnership"))
    request.session[SESSION_PARTNERSHIP] = pair.pk
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("home")
    return HttpResponseRedirect(target)


# --- Programmes -------------------------------------------------------------------------


class ProgrammeMixin:
    model = Programme
    url_base = "programme"
    form_class = ProgrammeForm


class ProgrammeList(ProgrammeMixin, ObjectListView):
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Partnerships"), "pair_count"),
    ]
    search_fields = ["name", "code"]

    def get_queryset(self):
        visible = scope.partnerships(self.request.user).order_by().values("pk")
        return (
            super()
            .get_queryset()
            .annotate(pair_count=Count("partnerships", filter=Q(partnerships__in=visible)))
        )


class ProgrammeDetail(ProgrammeMixin, ObjectDetailView):
    template_name = "core/programme_detail.html"
    fields = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Description"), "description"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pairs"] = scope.partnerships(self.request.user).filter(programme=self.object)
        return context


class ProgrammeCreate(ProgrammeMixin, ObjectCreateView):
    pass


class ProgrammeEdit(ProgrammeMixin, ObjectEditView):
    pass


class ProgrammeDelete(ProgrammeMixin, ObjectDeleteView):
    pass


# --- Regions ----------------------------------------------------------------------------


class RegionMixin:
    model = Region
    url_base = "region"
    form_class = RegionForm


class RegionList(RegionMixin, ObjectListView):
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Kind"), "kind"),
        Column(gettext_lazy("GB/T 2260 code"), "division_code"),
        Column(gettext_lazy("Departments"), "unit_count"),
    ]
    search_fields = ["name", "division_code"]
    filters = [("kind", gettext_lazy("Kind"), Region.Kind.choices)]

    def get_queryset(self):
        visible = scope.org_units(self.request.user).order_by().values("pk")
        return (
            super()
            .get_queryset()
            .annotate(unit_count=Count("org_units", filter=Q(org_units__in=visible)))
        )


class RegionDetail(RegionMixin, ObjectDetailView):
    template_name = "core/region_detail.html"
    fields = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Kind"), "kind"),
        Column(gettext_lazy("GB/T 2260 code"), "division_code"),
        Column(gettext_lazy("Description"), "description"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["units"] = scope.org_units(user).filter(region=self.object)
        context["pairs"] = scope.partnerships(user).filter(
            pk__in=Partnership.objects.filter(developed_side=self.object).values("pk")
            | Partnership.objects.filter(partner_side=self.object).values("pk")
        )
        return context


class RegionCreate(RegionMixin, ObjectCreateView):
    pass


class RegionEdit(RegionMixin, ObjectEditView):
    pass


class RegionDelete(RegionMixin, ObjectDeleteView):
    pass


# --- Partnerships -----------------------------------------------------------------------


class PartnershipMixin:
    model = Partnership
    url_base = "partnership"
    form_class = PartnershipForm


class PartnershipList(PartnershipMixin, ObjectListView):
    columns = [
        Column(gettext_lazy("Partnership"), "__str__"),
        Column(gettext_lazy("Programme"), "programme.name"),
        Column(gettext_lazy("Developed side"), "developed_side.name"),
        Column(gettext_lazy("Partner side"), "partner_side.name"),
        Column(gettext_lazy("Start date"), "start_date"),
        Column(gettext_lazy("Status"), "status"),
    ]
    search_fields = ["developed_side__name", "partner_side__name", "programme__name"]
    filters = [("status", gettext_lazy("Status"), Partnership.Status.choices)]


class PartnershipDetail(PartnershipMixin, ObjectDetailView):
    template_name = "core/partnership_detail.html"
    fields = [
        Column(gettext_lazy("Programme"), "programme.name"),
        Column(gettext_lazy("Developed side"), "developed_side.name"),
        Column(gettext_lazy("Partner side"), "partner_side.name"),
        Column(gettext_lazy("Start date"), "start_date"),
        Column(gettext_lazy("Status"), "status"),
        Column(gettext_lazy("Description"), "description"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        units = scope.org_units(self.request.user).filter(region__in=self.object.region_ids)
        context["sides"] = [
            (side, [u for u in units if u.region_id == side.pk]) for side in self.object.sides
        ]
        context["members"] = members_by_partnership(self.request.user, [self.object])[
            self.object.pk
        ]
        return context


class PartnershipCreate(PartnershipMixin, ObjectCreateView):
    pass


class PartnershipEdit(PartnershipMixin, ObjectEditView):
    pass


class PartnershipDelete(PartnershipMixin, ObjectDeleteView):
    pass


# --- Org units --------------------------------------------------------------------------


class OrgUnitMixin:
    model = OrgUnit
    url_base = "orgunit"
    form_class = OrgUnitForm


class OrgUnitList(OrgUnitMixin, ObjectListView):
    columns = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Region"), "region.name"),
        Column(gettext_lazy("Type"), "kind"),
        Column(gettext_lazy("Parent unit"), "parent.name"),
        Column(gettext_lazy("Office phone"), "phone"),
    ]
    search_fields = ["name", "region__name"]
    filters = [("kind", gettext_lazy("Type"), OrgUnit.Kind.choices)]

    def get_queryset(self):
        qs = super().get_queryset()
        side = self.request.GET.get("region", "")
        if side.isdigit():
            return qs.filter(region_id=side)
        pair = self.request.partnership
        return qs.filter(region_id__in=pair.region_ids) if pair else qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pair = self.request.partnership
        if pair:
            context["filters"].insert(
                0,
                (
                    "region",
                    _("Side"),
                    [(str(s.pk), s.name) for s in pair.sides],
                    self.request.GET.get("region", ""),
                ),
            )
        return context


class OrgUnitDetail(OrgUnitMixin, ObjectDetailView):
    fields = [
        Column(gettext_lazy("Name"), "name"),
        Column(gettext_lazy("Region"), "region.name"),
        Column(gettext_lazy("Type"), "kind"),
        Column(gettext_lazy("Parent unit"), "parent.name"),
        Column(gettext_lazy("Office phone"), "phone"),
        Column(gettext_lazy("Active"), "is_active"),
    ]


class OrgUnitCreate(OrgUnitMixin, ObjectCreateView):
    def get_initial(self):
        regions = scope.manageable_regions(self.request.user)
        region = self.request.GET.get("region")
        if not region and regions.count() == 1:
            region = regions.get().pk
        return {"region": region}


class OrgUnitEdit(OrgUnitMixin, ObjectEditView):
    pass


class OrgUnitDelete(OrgUnitMixin, ObjectDeleteView):
    pass


# --- People -----------------------------------------------------------------------------


class PersonMixin:
    model = User
    url_base = "person"
    form_class = UserForm


class PersonList(PersonMixin, ObjectListView):
    columns = [
        Column(gettext_lazy("Username"), "username"),
        Column(gettext_lazy("Full name"), "full_name"),
        Column(gettext_lazy("Job title"), "title"),
        Column(
            gettext_lazy("Roles"),
            lambda person: "、".join(
                sorted({str(m.get_role_display()) for m in person.visible_memberships})
            ),
        ),
        Column(gettext_lazy("Active"), "is_active"),
    ]
    search_fields = ["username", "full_name", "email"]
    filters = [("role", gettext_lazy("Role"), Membership._meta.get_field("role").choices)]

    def get_queryset(self):
        # Only roles whose scope the viewer sees are shown or filtered on.
        visible = scope.memberships(self.request.user)
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("memberships", visible, to_attr="visible_memberships"))
        )

    def filter_queryset(self, qs, param, value):
        visible = scope.memberships(self.request.user).filter(role=value)
        return qs.filter(pk__in=visible.values("user_id"))


class PersonDetail(PersonMixin, ObjectDetailView):
    template_name = "core/person_detail.html"
    fields = [
        Column(gettext_lazy("Username"), "username"),
        Column(gettext_lazy("Full name"), "full_name"),
        Column(gettext_lazy("Job title"), "title"),
        Column(gettext_lazy("Email"), "email"),
        Column(gettext_lazy("Phone"), "phone"),
        Column(gettext_lazy("Active"), "is_active"),
        Column(gettext_lazy("Last sign-in"), "last_login"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = scope.memberships(self.request.user).filter(user=self.object)
        context["can_manage_roles"] = scope.can(self.request.user, "create", Membership)
        context["membership_form"] = MembershipForm(user=self.request.user)
        return context


class PersonCreate(PersonMixin, ObjectCreateView):
    pass


class PersonEdit(PersonMixin, ObjectEditView):
    pass


class PersonDelete(PersonMixin, ObjectDeleteView):
    pass


class MembershipCreate(ObjectCreateView):
    model = Membership
    url_base = "person"
    form_class = MembershipForm

    def get_form_kwargs(self):
        # The model's rules (scope fields, separation of duties) need the person up front.
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Membership(user=self.person)
        return kwargs

    @cached_property
    def person(self) -> User:
        return scope.get_or_404(self.request.user, User, pk=self.kwargs["pk"])

    def form_valid(self, form):
        with transaction.atomic():
            self.object = form.save()
        messages.success(self.request, _("Role granted: %(m)s") % {"m": self.object})
        return redirect("person_detail", pk=self.object.user_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["person"] = self.person
        return context


@require_POST
@login_required
def membership_delete(request, pk, membership_pk):
    membership = scope.get_or_404(request.user, Membership, pk=membership_pk, user_id=pk)
    if not scope.can(request.user, "delete", Membership, membership):
        raise PermissionDenied
    membership.delete()
    messages.success(request, _("Role removed."))
    return redirect("person_detail", pk=pk)


# --- Health and errors ------------------------------------------------------------------


@never_cache
@require_safe
def healthz(request):
    """200 when the database and the job queue answer; 503 (never 500) otherwise.

    The middleware leaves the session alone on this path (core.middleware.SESSIONLESS_PATHS),
    so a load balancer, or a browser with a stale cookie, gets an answer while the
    database is down.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # whatever the driver raises, the answer is "unavailable"
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def permission_denied(request, exception=None):
    record(SecurityEvent.Kind.DENIED, request, detail=str(exception or "")[:300])
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: its processors read the database, which may be what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))
