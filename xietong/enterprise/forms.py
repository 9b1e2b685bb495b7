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
from .models import Enterprise, IndustryCode, Label, Product, Project, Talent, Technology

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


# --- Postings and matches ------------------------------------------------------------------


class PostingForm(ScopedModelForm):
    """A posting; "where" offers the places the user may post for (own enterprise, or a side
    of a pair with optionally one of its enterprises)."""

    where = forms.ChoiceField(label=_("Posted for"))
    enterprise_choice = forms.ModelChoiceField(
        label=_("Enterprise (optional)"), queryset=Enterprise.objects.none(), required=False
    )

    class Meta:
        from .models import Posting

        model = Posting
        fields = [
            "kind",
            "direction",
            "title",
            "subject",
            "description",
            "quantity",
            "unit",
            "budget",
            "delivery_period",
            "technical_requirements",
            "location",
            "valid_from",
            "valid_until",
            "visibility",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "technical_requirements": forms.Textarea(attrs={"rows": 2}),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from . import postings

        self.places = {}
        staff_sides = []
        for pair, side_id, ent in postings.posting_places(self.user):
            key = f"{pair.pk}:{side_id}:{ent.pk if ent else ''}"
            side = Region.objects.get(pk=side_id)
            self.places[key] = (pair, side, ent)
            if ent is None:
                staff_sides.append((pair.pk, side_id))
        self.fields["where"].choices = [(k, self._label(v)) for k, v in self.places.items()]
        self.fields["where"].widget.attrs["class"] = "form-select"
        q = Q(pk__in=[])
        for pair_id, side_id in staff_sides:
            q |= Q(partnership_id=pair_id, side_id=side_id)
        self.fields["enterprise_choice"].queryset = Enterprise.objects.filter(q)
        self.fields["enterprise_choice"].widget.attrs["class"] = "form-select"
        if not staff_sides:
            del self.fields["enterprise_choice"]
        if self.instance.pk:
            key = f"{self.instance.partnership_id}:{self.instance.side_id}:"
            own = f"{key}{self.instance.enterprise_id or ''}"
            self.initial["where"] = own if own in self.places else key
            if "enterprise_choice" in self.fields:
                self.initial["enterprise_choice"] = self.instance.enterprise_id
        self.order_fields(["where", "enterprise_choice", *self.Meta.fields])
        for name in ("kind", "direction"):
            field = self.fields[name]
            field.choices = [("", _("Choose…")), *[c for c in field.choices if c[0] != ""]]
        if "enterprise_choice" in self.fields:
            self.fields["enterprise_choice"].empty_label = _("None: the side itself posts")

    @staticmethod
    def _label(place):
        pair, side, ent = place
        return f"{ent.name}（{side}）" if ent else f"{pair} · {side}"

    def clean(self):
        cleaned = super().clean()
        place = self.places.get(cleaned.get("where") or "")
        if place is None:
            self.add_error("where", _("Choose where you post for."))
            return cleaned
        pair, side, ent = place
        if ent is None:
            ent = cleaned.get("enterprise_choice")
            if ent is not None and (ent.partnership_id != pair.pk or ent.side_id != side.pk):
                self.add_error(
                    "enterprise_choice", _("The enterprise must be of the chosen side and pair.")
                )
        self.instance.partnership, self.instance.side, self.instance.enterprise = pair, side, ent
        return cleaned


class PostingReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return"))])
    reason = forms.CharField(
        label=_("Reason (required to return)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class InterestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the poster"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class MatchAdvanceForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    contract_value = forms.DecimalField(
        label=_("Contract value (10k yuan)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    deal_date = forms.DateField(
        label=_("Deal date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    reason = forms.CharField(
        label=_("Reason for no deal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, match, **kwargs):
        super().__init__(*args, **kwargs)
        from .matches import FINAL, ORDER
        from .models import Match

        current = match.status
        later = [s for s in ORDER if current in ORDER and ORDER.index(s) > ORDER.index(current)]
        choices = [(s, Match.Status(s).label) for s in [*later, *sorted(FINAL)]]
        self.fields["status"].choices = choices
        self.fields["status"].widget.attrs["class"] = "form-select"


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    database = forms.ChoiceField(
        label=_("Database"),
        required=False,
        choices=[
            ("", _("All five databases")),
            ("enterprise", _("Enterprises")),
            ("product", _("Products")),
            ("project", _("Projects")),
            ("technology", _("Technologies")),
            ("talent", _("Talent")),
        ],
    )
    side = forms.ModelChoiceField(
        label=_("Side"), queryset=Region.objects.none(), required=False, empty_label=_("All")
    )
    district = forms.CharField(label=_("District"), required=False, max_length=40)
    industry = forms.CharField(label=_("Industry (code or name)"), required=False, max_length=60)
    size_class = forms.ChoiceField(
        label=_("Size class"),
        required=False,
        choices=[("", _("All")), *Enterprise.Size.choices],
    )
    label = forms.ModelChoiceField(
        label=_("Label"), queryset=Label.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from xietong.core import scope

        self.fields["side"].queryset = scope.regions(user)
        self.fields["label"].queryset = Label.objects.all()
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
