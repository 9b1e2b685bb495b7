"""Forms of the core pages; every choice list is limited to what the user may use."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.utils.translation import gettext_lazy as _

from . import scope
from .models import Membership, OrgUnit, Partnership, Programme, Region, User


class ScopedModelForm(forms.ModelForm):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs.setdefault("class", css)


class ProgrammeForm(ScopedModelForm):
    class Meta:
        model = Programme
        fields = ["name", "code", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class RegionForm(ScopedModelForm):
    class Meta:
        model = Region
        fields = ["name", "kind", "division_code", "description", "is_sample"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class PartnershipForm(ScopedModelForm):
    class Meta:
        model = Partnership
        fields = [
            "programme",
            "developed_side",
            "partner_side",
            "start_date",
            "status",
            "description",
            "is_sample",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = scope.manageable_programmes(self.user)
        regions = scope.regions(self.user)
        self.fields["developed_side"].queryset = regions
        self.fields["partner_side"].queryset = regions


class OrgUnitForm(ScopedModelForm):
    class Meta:
        model = OrgUnit
        fields = ["region", "name", "kind", "parent", "phone", "sort_order", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = scope.manageable_regions(self.user)
        parents = scope.org_units(self.user).filter(
            region__in=self.fields["region"].queryset, is_active=True
        )
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents


class UserForm(SetPasswordMixin, ScopedModelForm):
    """Create or edit an account; a new account needs an initial password."""

    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Password"), label2=_("Password (again)")
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "phone", "title", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        for name in ("password1", "password2"):
            self.fields[name].required = not editing
            self.fields[name].widget.attrs["class"] = "form-control"
        if editing:
            self.fields["password1"].help_text = _("Leave empty to keep the current password.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") or not self.instance.pk:
            self.validate_passwords()
            self.validate_password_for_user(self.instance)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("password1"):
            user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class MembershipForm(ScopedModelForm):
    class Meta:
        model = Membership
        fields = [
            "role",
            "programme",
            "partnership",
            "region",
            "org_unit",
            "sector",
            "enterprise",
            "enterprise_name",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = scope.org_units(self.user)
        # An enterprise user's record: only enterprises the granting user may see.
        from xietong.enterprise.models import Enterprise

        self.fields["enterprise"].queryset = scope.queryset(self.user, Enterprise)


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "current-password"}
        )
