"""Pages of the five databases: scoped lists, details, edits (versioned), the enterprise
profile proposal and its review, the audited unmask, the import and the industry search."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from xietong.core import crud, scope
from xietong.core.exports import XLSX
from xietong.core.xlsx_import import ImportRejected

from . import forms, imports, queries, services, tasks
from .models import (
    ChangeRequest,
    Contact,
    Enterprise,
    ImportJob,
    Label,
    Product,
    Project,
    Talent,
    Technology,
)

C = crud.Column


def _side_choices(user):
    return [(r.pk, r.name) for r in scope.regions(user)]


class SideListMixin:
    """Filters shared by the five lists: side, district, industry (code or name), size,
    label; the industry filter is free text, the others select boxes."""

    def get_queryset(self):
        qs = super().get_queryset()
        industry = self.request.GET.get("industry", "").strip()
        if industry and hasattr(self.model, "industries"):
            qs = qs.filter(queries.industry_filter(industry)).distinct()
        district = self.request.GET.get("district", "").strip()
        if district and hasattr(self.model, "district"):
            qs = qs.filter(district__icontains=district)
        return qs

    @property
    def filters(self):
        user = self.request.user
        out = [("side", gettext_lazy("side"), _side_choices(user))]
        if self.model is Enterprise:
            out += [
                ("size_class", gettext_lazy("size class"), Enterprise.Size.choices),
                ("labels", gettext_lazy("label"), list(Label.objects.values_list("pk", "name"))),
            ]
        return out

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["text_filters"] = [
            (name, label, self.request.GET.get(name, ""))
            for name, label in (
                ("industry", _("Industry (code or name)")),
                ("district", _("District")),
            )
            if name != "district" or self.model is Enterprise
            if name != "industry" or hasattr(self.model, "industries")
        ]
        return context


class VersionedFormMixin:
    """Saves through services.save_record: permission and optimistic concurrency."""

    def form_valid(self, form):
        obj = form.instance
        try:
            services.save_record(
                self.request.user,
                obj,
                expected_version=form.cleaned_data.get("expected_version"),
                save=lambda: self.save_form(form),
            )
        except services.StaleEdit as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        self.object = obj
        messages.success(self.request, _("Saved: %(object)s") % {"object": obj})
        return redirect(self.get_success_url())

    def save_form(self, form):
        form.save()


def _masked(value, field):
    return services.mask(field, value)


# --- Enterprises ----------------------------------------------------------------------


class EnterpriseMixin:
    model = Enterprise
    url_base = "enterprise:enterprise"
    form_class = forms.EnterpriseForm


class EnterpriseList(SideListMixin, EnterpriseMixin, crud.ObjectListView):
    template_name = "enterprise/record_list.html"
    search_fields = ["name", "credit_code", "main_products__name", "description"]
    columns = [
        C(gettext_lazy("name"), "name"),
        C(gettext_lazy("side"), "side.name"),
        C(gettext_lazy("district"), "district"),
        C(gettext_lazy("size class"), "size_class"),
        C(gettext_lazy("revenue (10k yuan)"), "revenue"),
        C(
            gettext_lazy("shared with the partner side"),
            lambda o: _("Yes") if o.shared else _("No"),
        ),
    ]

    def get_queryset(self):
        return super().get_queryset().distinct()


class EnterpriseDetail(EnterpriseMixin, crud.ObjectDetailView):
    template_name = "enterprise/enterprise_detail.html"
    fields = [
        C(gettext_lazy("unified social credit code"), "credit_code"),
        C(gettext_lazy("partnership"), "partnership"),
        C(gettext_lazy("side"), "side.name"),
        C(gettext_lazy("district"), "district"),
        C(
            gettext_lazy("industry codes"),
            lambda o: "、".join(str(i) for i in o.industries.all()),
        ),
        C(gettext_lazy("size class"), "size_class"),
        C(gettext_lazy("labels"), lambda o: "、".join(str(x) for x in o.labels.all())),
        C(gettext_lazy("revenue (10k yuan)"), "revenue"),
        C(gettext_lazy("output value (10k yuan)"), "output_value"),
        C(gettext_lazy("employees"), "employees"),
        C(gettext_lazy("address"), "address"),
        C(gettext_lazy("processes"), "processes"),
        C(gettext_lazy("equipment"), "equipment"),
        C(gettext_lazy("certifications"), "certifications"),
        C(gettext_lazy("description"), "description"),
        C(
            gettext_lazy("shared with the partner side"),
            lambda o: _("Yes") if o.shared else _("No"),
        ),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, ent = self.request.user, self.object
        contacts = list(ent.contacts.all())
        may = bool(contacts) and services.may_unmask(user, contacts[0])
        context.update(
            main_products=ent.main_products.all(),
            contacts=[
                (c, {f: services.mask(f, getattr(c, f)) for f in ("name", "phone", "email")})
                for c in contacts
            ],
            may_unmask=may,
            products=queries.products(user).filter(enterprise=ent),
            owns=services.owns(user, ent),
            may_review=services.may_review(user, ent),
            pending=ent.change_requests.filter(status=ChangeRequest.Status.PENDING).first(),
        )
        return context


class EnterpriseCreate(VersionedFormMixin, EnterpriseMixin, crud.ObjectCreateView):
    template_name = "enterprise/record_form.html"


class EnterpriseEdit(VersionedFormMixin, EnterpriseMixin, crud.ObjectEditView):
    template_name = "enterprise/enterprise_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "products" not in context:
            context["products"], context["contact_forms"] = self.formsets()
        return context

    def formsets(self, data=None):
        ent = self.object
        initial_products = [{"name": p.name, "share": p.share} for p in ent.main_products.all()]
        initial_contacts = [
            {"name": c.name, "position": c.position, "phone": c.phone, "email": c.email}
            for c in ent.contacts.all()
        ]
        if data is None:
            services.record_form_unmask(self.request.user, ent, self.request)
        return (
            forms.MainProductFormSet(data, initial=initial_products, prefix="products"),
            forms.ContactFormSet(data, initial=initial_contacts, prefix="contacts"),
        )

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form()
        products, contacts = self.formsets(request.POST)
        if form.is_valid() and products.is_valid() and contacts.is_valid():
            self._children = forms.formset_values(products, contacts)
            return self.form_valid(form)
        return self.render_to_response(
            self.get_context_data(form=form, products=products, contact_forms=contacts)
        )

    def save_form(self, form):
        form.save()
        services.apply_profile(form.instance, self._children)


class EnterpriseDelete(EnterpriseMixin, crud.ObjectDeleteView):
    pass


# --- Products, projects, technologies, talent ----------------------------------------


class ProductMixin:
    model = Product
    url_base = "enterprise:product"
    form_class = forms.ProductForm


class ProductList(SideListMixin, ProductMixin, crud.ObjectListView):
    template_name = "enterprise/record_list.html"
    search_fields = ["name", "category", "enterprise__name", "description"]
    columns = [
        C(gettext_lazy("name"), "name"),
        C(gettext_lazy("category"), "category"),
        C(gettext_lazy("enterprise"), "enterprise.name"),
        C(gettext_lazy("side"), "side.name"),
        C(gettext_lazy("industry code"), "industry"),
    ]


class ProductDetail(ProductMixin, crud.ObjectDetailView):
    fields = [
        C(gettext_lazy("enterprise"), "enterprise"),
        C(gettext_lazy("category"), "category"),
        C(gettext_lazy("industry code"), "industry"),
        C(gettext_lazy("specification"), "specification"),
        C(gettext_lazy("description"), "description"),
        C(gettext_lazy("side"), "side.name"),
    ]


class ProductCreate(VersionedFormMixin, ProductMixin, crud.ObjectCreateView):
    template_name = "enterprise/record_form.html"


class ProductEdit(VersionedFormMixin, ProductMixin, crud.ObjectEditView):
    template_name = "enterprise/record_form.html"


class ProductDelete(ProductMixin, crud.ObjectDeleteView):
    pass


class ProjectMixin:
    model = Project
    url_base = "enterprise:project"
    form_class = forms.ProjectForm


class ProjectList(SideListMixin, ProjectMixin, crud.ObjectListView):
    template_name = "enterprise/record_list.html"
    search_fields = ["name", "location", "description"]
    columns = [
        C(gettext_lazy("name"), "name"),
        C(gettext_lazy("type"), "kind"),
        C(gettext_lazy("stage"), "stage"),
        C(gettext_lazy("side"), "side.name"),
        C(gettext_lazy("total investment (10k yuan)"), "investment"),
    ]

    def get_queryset(self):
        return super().get_queryset().distinct()


class ProjectDetail(ProjectMixin, crud.ObjectDetailView):
    fields = [
        C(gettext_lazy("type"), "kind"),
        C(gettext_lazy("stage"), "stage"),
        C(gettext_lazy("enterprise"), "enterprise"),
        C(gettext_lazy("industry codes"), lambda o: "、".join(map(str, o.industries.all()))),
        C(gettext_lazy("total investment (10k yuan)"), "investment"),
        C(gettext_lazy("location"), "location"),
        C(gettext_lazy("description"), "description"),
        C(gettext_lazy("side"), "side.name"),
    ]


class ProjectCreate(VersionedFormMixin, ProjectMixin, crud.ObjectCreateView):
    template_name = "enterprise/record_form.html"


class ProjectEdit(VersionedFormMixin, ProjectMixin, crud.ObjectEditView):
    template_name = "enterprise/record_form.html"


class ProjectDelete(ProjectMixin, crud.ObjectDeleteView):
    pass


class TechnologyMixin:
    model = Technology
    url_base = "enterprise:technology"
    form_class = forms.TechnologyForm


class TechnologyList(SideListMixin, TechnologyMixin, crud.ObjectListView):
    template_name = "enterprise/record_list.html"
    search_fields = ["name", "field", "owner", "description"]
    columns = [
        C(gettext_lazy("name"), "name"),
        C(gettext_lazy("field"), "field"),
        C(gettext_lazy("maturity"), "maturity"),
        C(gettext_lazy("owner"), "owner"),
        C(gettext_lazy("side"), "side.name"),
    ]

    def get_queryset(self):
        return super().get_queryset().distinct()


class TechnologyDetail(TechnologyMixin, crud.ObjectDetailView):
    fields = [
        C(gettext_lazy("field"), "field"),
        C(gettext_lazy("maturity"), "maturity"),
        C(gettext_lazy("owner"), "owner"),
        C(gettext_lazy("patents"), "patents"),
        C(gettext_lazy("industry codes"), lambda o: "、".join(map(str, o.industries.all()))),
        C(gettext_lazy("description"), "description"),
        C(gettext_lazy("side"), "side.name"),
    ]


class TechnologyCreate(VersionedFormMixin, TechnologyMixin, crud.ObjectCreateView):
    template_name = "enterprise/record_form.html"


class TechnologyEdit(VersionedFormMixin, TechnologyMixin, crud.ObjectEditView):
    template_name = "enterprise/record_form.html"


class TechnologyDelete(TechnologyMixin, crud.ObjectDeleteView):
    pass


class TalentMixin:
    model = Talent
    url_base = "enterprise:talent"
    form_class = forms.TalentForm


class TalentList(SideListMixin, TalentMixin, crud.ObjectListView):
    template_name = "enterprise/record_list.html"
    search_fields = ["fields", "title", "employer", "description"]
    columns = [
        C(gettext_lazy("name"), lambda o: services.mask_name(o.name)),
        C(gettext_lazy("type"), "kind"),
        C(gettext_lazy("fields"), "fields"),
        C(gettext_lazy("availability"), "availability"),
        C(gettext_lazy("side"), "side.name"),
    ]


class TalentDetail(TalentMixin, crud.ObjectDetailView):
    template_name = "enterprise/talent_detail.html"
    fields = [
        C(gettext_lazy("type"), "kind"),
        C(gettext_lazy("fields"), "fields"),
        C(gettext_lazy("professional title"), "title"),
        C(gettext_lazy("employer"), "employer"),
        C(gettext_lazy("availability"), "availability"),
        C(gettext_lazy("description"), "description"),
        C(gettext_lazy("side"), "side.name"),
    ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        t = self.object
        context["personal"] = [
            (f, t._meta.get_field(f).verbose_name, services.mask(f, getattr(t, f)))
            for f in ("name", "phone", "email")
        ]
        context["may_unmask"] = services.may_unmask(self.request.user, t)
        return context


class TalentCreate(VersionedFormMixin, TalentMixin, crud.ObjectCreateView):
    template_name = "enterprise/record_form.html"


class TalentEdit(VersionedFormMixin, TalentMixin, crud.ObjectEditView):
    template_name = "enterprise/record_form.html"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if self.request.method == "GET":
            services.unmask(self.request.user, obj, "phone", self.request)
        return obj


class TalentDelete(TalentMixin, crud.ObjectDeleteView):
    pass


# --- Unmask (htmx) --------------------------------------------------------------------

UNMASKABLE = {"contact": Contact, "talent": Talent}


@require_POST
@login_required
def unmask(request, kind: str, pk: int, field: str):
    """The clear value of one personal field, audited; answers an htmx fragment."""
    model = UNMASKABLE.get(kind)
    if model is None:
        raise Http404
    if model is Contact:
        contact = Contact.objects.filter(pk=pk).first()
        if contact is None:
            raise Http404
        scope.get_or_404(request.user, Enterprise, pk=contact.enterprise_id)
        obj = contact
    else:
        obj = scope.get_or_404(request.user, Talent, pk=pk)
    try:
        value = services.unmask(request.user, obj, field, request)
    except ValidationError as exc:
        raise Http404 from exc
    return HttpResponse(format_html('<span data-testid="unmasked">{}</span>', value))


# --- The enterprise's own profile and the review -------------------------------------


@login_required
def profile(request):
    """An enterprise user proposes changes to its own profile (reviewed before live)."""
    enterprise = services.own_enterprise(request.user)
    if enterprise is None:
        raise Http404
    pending = enterprise.change_requests.filter(status=ChangeRequest.Status.PENDING).first()
    current = services.profile_values(enterprise)
    if request.method == "POST" and pending is None:
        form = forms.ProfileForm(request.POST, instance=Enterprise.objects.get(pk=enterprise.pk))
        products = forms.MainProductFormSet(request.POST, prefix="products")
        contacts = forms.ContactFormSet(request.POST, prefix="contacts")
        if form.is_valid() and products.is_valid() and contacts.is_valid():
            proposal = forms.profile_proposal(form, products, contacts)
            try:
                change = services.submit_change(request.user, enterprise, proposal)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your changes were sent for review."))
                return redirect("enterprise:change_detail", change.pk)
    else:
        form = forms.ProfileForm(instance=enterprise)
        products = forms.MainProductFormSet(initial=current["main_products"], prefix="products")
        contacts = forms.ContactFormSet(initial=current["contacts"], prefix="contacts")
        if pending is None:  # the form, with the contacts in clear, is shown only then
            services.record_form_unmask(request.user, enterprise, request)
    return render(
        request,
        "enterprise/profile.html",
        {
            "enterprise": enterprise,
            "form": form,
            "products": products,
            "contact_forms": contacts,
            "pending": pending,
        },
    )


@require_safe
@login_required
def change_list(request):
    changes = scope.queryset(request.user, ChangeRequest)
    status = request.GET.get("status", ChangeRequest.Status.PENDING)
    if status in ChangeRequest.Status.values:
        changes = changes.filter(status=status)
    return render(
        request,
        "enterprise/change_list.html",
        {"changes": changes[:200], "status": status, "statuses": ChangeRequest.Status.choices},
    )


@login_required
def change_detail(request, pk: int):
    change = scope.get_or_404(request.user, ChangeRequest, pk=pk)
    may_review = services.may_review_change(request.user, change)
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST":
        if not may_review:
            raise PermissionDenied(_("Only department staff of the enterprise's side review it."))
        if form.is_valid():
            try:
                services.review_change(
                    request.user,
                    change,
                    approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The request was reviewed."))
                return redirect("enterprise:change_detail", change.pk)
    return render(
        request,
        "enterprise/change_detail.html",
        {
            "change": change,
            # An approved request has been applied: there is no "before" left to compare.
            "rows": services.diff(change.enterprise, change.proposed)
            if change.status != ChangeRequest.Status.APPROVED
            else [],
            "may_review": may_review and change.status == ChangeRequest.Status.PENDING,
            "form": form,
        },
    )


# --- Import ------------------------------------------------------------------------------


@require_safe
@login_required
def import_template(request):
    if not queries.reach(request.user).anything:
        raise Http404
    response = HttpResponse(imports.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="enterprise-template.xlsx"'
    return response


@login_required
def import_page(request):
    r = queries.reach(request.user)
    if not r.anything:
        raise Http404
    if not r.staff_sides:
        raise PermissionDenied(_("Only staff of a side import its enterprises."))
    form = forms.ImportForm(request.POST or None, request.FILES or None, user=request.user)
    context = {"form": form, "max_mb": imports.max_upload_bytes() // 1024**2}
    if request.method == "POST" and form.is_valid():
        pair, side = form.cleaned_data["target"]
        upload = form.cleaned_data["file"]
        data = upload.read(imports.max_upload_bytes() + 1)
        try:
            if form.cleaned_data["kind"] == "products":
                result = imports.import_products(request.user, pair, side, upload.name, data)
                if result.ok:
                    messages.success(request, _product_summary(result.as_dict()))
                    return redirect("enterprise:product_list")
                context["errors"] = result.errors
                return render(request, "enterprise/import.html", context)
            rows = imports.count_rows(upload.name, data)
            if rows > imports.sync_rows():
                job = ImportJob.objects.create(
                    user=request.user,
                    partnership=pair,
                    side=side,
                    filename=upload.name[:200],
                    data=data,
                    rows_total=rows,
                )
                tasks.run_import(job.pk)
                return redirect("enterprise:import_job", job.pk)
            result = imports.import_file(request.user, pair, side, upload.name, data)
        except ImportRejected as exc:
            context["problem"] = str(exc)
        else:
            # Bulk writes leave no per-row audit entries; the job row records the import.
            ImportJob.objects.create(
                user=request.user,
                partnership=pair,
                side=side,
                filename=upload.name[:200],
                status=ImportJob.Status.DONE if result.ok else ImportJob.Status.REJECTED,
                rows_total=result.created + result.updated + result.unchanged,
                result={**result.as_dict(), "errors": result.as_dict()["errors"][:1000]},
                finished_at=timezone.now(),
            )
            if result.ok:
                messages.success(request, _summary(result.as_dict()))
                return redirect("enterprise:enterprise_list")
            context["errors"] = result.errors
    return render(request, "enterprise/import.html", context)


def _product_summary(result: dict) -> str:
    return _(
        "Products imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    ) % {k: result.get(k, 0) for k in ("created", "updated", "unchanged")}


@require_safe
@login_required
def product_template(request):
    if not queries.reach(request.user).anything:
        raise Http404
    response = HttpResponse(imports.product_template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="product-template.xlsx"'
    return response


def _summary(result: dict) -> str:
    return _(
        "Enterprises imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    ) % {k: result.get(k, 0) for k in ("created", "updated", "unchanged")}


@require_safe
@login_required
def import_job(request, pk: int):
    job = ImportJob.objects.filter(pk=pk, user=request.user).first()
    if job is None:
        raise Http404
    template = "enterprise/import_job_status.html" if request.htmx else "enterprise/import_job.html"
    errors = [
        {"row": row, "column": column, "message": message}
        for row, column, message in job.result.get("errors", [])
    ]
    return render(
        request,
        template,
        {
            "job": job,
            "errors": errors,
            "summary": _summary(job.result) if job.status == ImportJob.Status.DONE else "",
        },
    )


# --- Industry search (autocomplete) -----------------------------------------------------


@require_safe
@login_required
def industry_search(request):
    """Codes matching a code prefix or a name; <option>s for htmx, JSON otherwise."""
    params = request.GET
    term = params.get("q") or params.get("industries") or params.get("industry") or ""
    term = forms.CODE_SPLIT.split(term.strip())[-1] if term.strip() else ""
    found = list(queries.search_industries(term))
    if request.htmx:
        return render(request, "enterprise/industry_options.html", {"codes": found})
    return JsonResponse(
        {"results": [{"code": c.code, "name": c.name, "level": c.level} for c in found]}
    )


@require_safe
@login_required
def index(request):
    if not queries.reach(request.user).anything:
        raise Http404
    return redirect("enterprise:enterprise_list")


def _crud(prefix, name, views):
    listing, detail, create, edit, delete = views
    return [
        path(f"{prefix}/", listing.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", create.as_view(), name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
    ]


urlpatterns = [
    path("", index, name="index"),
    *_crud("enterprises", "enterprise", (EnterpriseList, EnterpriseDetail, EnterpriseCreate,
                                         EnterpriseEdit, EnterpriseDelete)),
    *_crud("products", "product", (ProductList, ProductDetail, ProductCreate, ProductEdit,
                                   ProductDelete)),
    *_crud("projects", "project", (ProjectList, ProjectDetail, ProjectCreate, ProjectEdit,
                                   ProjectDelete)),
    *_crud("technologies", "technology", (TechnologyList, TechnologyDetail, TechnologyCreate,
                                          TechnologyEdit, TechnologyDelete)),
    *_crud("talent", "talent", (TalentList, TalentDetail, TalentCreate, TalentEdit,
                                TalentDelete)),
    path("unmask/<str:kind>/<int:pk>/<str:field>/", unmask, name="unmask"),
    path("profile/", profile, name="profile"),
    path("changes/", change_list, name="change_list"),
    path("changes/<int:pk>/", change_detail, name="change_detail"),
    path("import/", import_page, name="import"),
    path("import/template.xlsx", import_template, name="import_template"),
    path("import/products-template.xlsx", product_template, name="product_template"),
    path("import/<int:pk>/", import_job, name="import_job"),
    path("industries/", industry_search, name="industry_search"),
]  # fmt: skip
