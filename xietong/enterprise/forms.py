"""Forms of the five databases, the enterprise profile proposal and the review."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from xietong.core.forms import ScopedModelForm
from xietong.core.models import Partnership, Region

from . import queries
from .models import Enterprise, IndustryCode, Product, Project, Talent, Technology

CODE_SPLIT = re.compile(r"[、,，;；\s]+")


class IndustryCodesField(forms.CharField):
    """GB/T 4754-2017 codes typed as text (“3670、3660”), with suggestions by htmx."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", _("GB/T 4754-2017 codes separated by 、 — type a code or a name.")
        )
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "list": "industry-options",
                "autocomplete": "off",
                "hx-get": reverse_lazy("enterprise:industry_search"),
                "hx-trigger": "keyup changed delay:300ms",
                "hx-target": "#industry-options",
                "hx-swap": "innerHTML",
            }
        )

    def prepare_value(self, value):
        if isinstance(value, list | tuple) or hasattr(value, "all"):
            items = value.all() if hasattr(value, "all") else value
            return "、".join(getattr(i, "code", str(i)) for i in items)
        return value

    def clean(self, value):
        text = super().clean(value)
        codes = []
        for token in CODE_SPLIT.split(text or ""):
            token = token.strip().upper()
            if token and not token[0].isdigit() and len(token) > 1:
                continue  # a name typed after its code, e.g. "3670 汽车零部件…"
            if token and token not in codes:
                codes.append(token)
        found = {c.code: c for c in IndustryCode.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("Unknown industry code: %(codes)s (not in GB/T 4754-2017).")
                % {"codes": "、".join(unknown)}
            )
        return [found[c] for c in codes]


class SideRecordForm(ScopedModelForm):
    """Pair and side limited to where the user may write; the version guards the edit."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        r = queries.reach(self.user)
        if r.admin:
            pairs, sides = Partnership.objects.all(), Region.objects.all()
        else:
            pairs = Partnership.objects.filter(pk__in={p for p, _s in r.staff_sides})
            sides = Region.objects.filter(pk__in={s for _p, s in r.staff_sides})
        if "partnership" in self.fields:
            self.fields["partnership"].queryset = pairs.select_related(
                "developed_side", "partner_side"
            )
            self.fields["side"].queryset = sides
            if len(self.fields["partnership"].queryset) == 1 and not self.instance.pk:
                self.initial.setdefault("partnership", pairs.first().pk)
            if len(sides) == 1 and not self.instance.pk:
                self.initial.setdefault("side", sides.first().pk)
        self.initial["expected_version"] = self.instance.version if self.instance.pk else 0

    def clean(self):
        data = super().clean()
        pair, side = data.get("partnership"), data.get("side")
        r = queries.reach(self.user)
        if pair and side and not r.admin and (pair.pk, side.pk) not in r.staff_sides:
            self.add_error("side", _("You may not add records for this side of this pair."))
        return data

    def save(self, commit=True):
        obj = super().save(commit=False)
        if commit:
            obj.save()
            self.save_m2m()
        return obj


class EnterpriseForm(SideRecordForm):
    industries = IndustryCodesField(label=_("industry codes"))

    class Meta:
        model = Enterprise
        fields = [
            "partnership",
            "side",
            "name",
            "credit_code",
            "district",
            "industries",
            "size_class",
            "labels",
            "revenue",
            "output_value",
            "employees",
            "address",
            "description",
            "processes",
            "equipment",
            "certifications",
            "shared",
        ]
        widgets = {
            "labels": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "processes": forms.Textarea(attrs={"rows": 2}),
            "equipment": forms.Textarea(attrs={"rows": 2}),
            "certifications": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["labels"].widget.attrs["class"] = "form-check-input"
        if self.instance.pk:
            self.initial["industries"] = "、".join(
                self.instance.industries.values_list("code", flat=True)
            )

    def clean_credit_code(self):
        return (self.cleaned_data.get("credit_code") or "").strip().upper()


class ProfileForm(forms.ModelForm):
    """What an enterprise user may propose for its own profile (reviewed before it counts)."""

    industries = IndustryCodesField(label=_("industry codes"))

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "district",
            "industries",
            "size_class",
            "revenue",
            "output_value",
            "employees",
            "address",
            "description",
            "processes",
            "equipment",
            "certifications",
        ]
        widgets = EnterpriseForm.Meta.widgets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.initial["industries"] = "、".join(
            self.instance.industries.values_list("code", flat=True)
        )


class MainProductForm(forms.Form):
    name = forms.CharField(label=_("product"), max_length=100)
    share = forms.DecimalField(
        label=_("share of revenue (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=40)
    position = forms.CharField(label=_("position"), max_length=60, required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)


MainProductFormSet = forms.formset_factory(MainProductForm, extra=2, can_delete=True)
ContactFormSet = forms.formset_factory(ContactForm, extra=1, can_delete=True)


def _rows(formset) -> list[dict]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def formset_values(products, contacts) -> dict:
    return {
        "main_products": [
            {"name": p["name"], "share": None if p["share"] is None else str(p["share"])}
            for p in _rows(products)
        ],
        "contacts": _rows(contacts),
    }


def profile_proposal(form: ProfileForm, products, contacts) -> dict:
    values = {
        name: form.cleaned_data.get(name)
        for name in ProfileForm.Meta.fields
        if name != "industries"
    }
    for name in ("revenue", "output_value"):
        if values[name] is not None:
            values[name] = str(values[name])
    values["industries"] = [c.code for c in form.cleaned_data.get("industries", [])]
    values.update(formset_values(products, contacts))
    return values


class ProductForm(SideRecordForm):
    class Meta:
        model = Product
        fields = [
            "enterprise",
            "name",
            "category",
            "industry",
            "specification",
            "description",
            "shared",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        r = queries.reach(self.user)
        writable = Enterprise.objects.all()
        if not r.admin:
            q = Q(pk__in=[])
            for pair_id, side_id in r.staff_sides:
                q |= Q(partnership_id=pair_id, side_id=side_id)
            writable = writable.filter(q)
        self.fields["enterprise"].queryset = writable
        self.fields["industry"].queryset = IndustryCode.objects.filter(level="class")

    def clean(self):
        data = super().clean()
        enterprise = data.get("enterprise")
        if enterprise:
            self.instance.partnership_id = enterprise.partnership_id
            self.instance.side_id = enterprise.side_id
        return data


class ProjectForm(SideRecordForm):
    industries = IndustryCodesField(label=_("industry codes"))

    class Meta:
        model = Project
        fields = [
            "partnership",
            "side",
            "name",
            "kind",
            "stage",
            "enterprise",
            "industries",
            "investment",
            "location",
            "description",
            "shared",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = queries.enterprises(self.user)


class TechnologyForm(SideRecordForm):
    industries = IndustryCodesField(label=_("industry codes"))

    class Meta:
        model = Technology
        fields = [
            "partnership",
            "side",
            "name",
            "field",
            "maturity",
            "owner",
            "enterprise",
            "patents",
            "industries",
            "description",
            "shared",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "patents": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = queries.enterprises(self.user)


class TalentForm(SideRecordForm):
    class Meta:
        model = Talent
        fields = [
            "partnership",
            "side",
            "name",
            "kind",
            "fields",
            "title",
            "employer",
            "availability",
            "phone",
            "email",
            "description",
            "shared",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[("enterprises", _("Enterprises")), ("products", _("Products"))],
        initial="enterprises",
    )
    target = forms.ChoiceField(label=_("Side of the pair"))
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        r = queries.reach(user)
        sides = set(r.staff_sides)
        if r.admin:
            sides = {(p.pk, s) for p in Partnership.objects.all() for s in p.region_ids}
        pairs = {
            p.pk: p for p in Partnership.objects.select_related("developed_side", "partner_side")
        }
        regions = {r.pk: r for r in Region.objects.filter(pk__in={s for _p, s in sides})}
        self.fields["target"].choices = sorted(
            (f"{p}-{s}", f"{pairs[p]} · {regions[s]}") for p, s in sides if p in pairs
        )
        self.fields["target"].widget.attrs["class"] = "form-select"
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".xlsx"})

    def clean_target(self):
        pair_id, side_id = (int(x) for x in self.cleaned_data["target"].split("-"))
        return Partnership.objects.get(pk=pair_id), Region.objects.get(pk=side_id)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
