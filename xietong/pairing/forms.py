"""Forms of the department pair, work contact and settings pages; every choice is limited to
the user's scope and to the sides of the pair. The service functions decide and save
(``services.py``); these forms parse the input and show the services' errors on their
fields."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.conference.forms_meetings import ServiceForm, _date_widget, _style
from xietong.conference.versions import version_of
from xietong.core import scope
from xietong.core.models import OrgUnit, Partnership, User

from . import services
from .models import DepartmentPair, PairingSettings, Side, WorkContact, region_id_of


def _person_label(user: User) -> str:
    return f"{user.display_name}（{user.title}）" if user.title else user.display_name


def _unit_label(unit: OrgUnit) -> str:
    return f"{unit.region.name} · {unit.name}"


def managed_partnerships(user: User):
    """The visible partnerships whose pairs the user manages (coordinators)."""
    visible = scope.internal_partnerships(user)
    return visible.filter(pk__in=[p.pk for p in visible if services.may_manage_pairs(user, p)])


# --- Department pairs ---------------------------------------------------------------------


class PairForm(ServiceForm):
    """Create or edit a department pair of one partnership (fixed by the page)."""

    class Meta:
        model = DepartmentPair
        fields = [
            "developed_unit",
            "partner_unit",
            "frequency",
            "developed_lead",
            "partner_lead",
            "started_on",
            "ended_on",
            "note",
        ]
        widgets = {
            "started_on": _date_widget(),
            "ended_on": _date_widget(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        units = scope.org_units(user).select_related("region")
        for name, side in (("developed", Side.DEVELOPED), ("partner", Side.PARTNER)):
            region_id = region_id_of(partnership, side)
            field = self.fields[f"{name}_unit"]
            field.queryset = units.filter(region_id=region_id, is_active=True)
            field.label_from_instance = _unit_label
            lead = self.fields[f"{name}_lead"]
            lead.queryset = services.side_members(partnership, side).order_by("full_name", "pk")
            lead.label_from_instance = _person_label
        if not self.instance.pk:
            del self.fields["ended_on"]
        _style(self)

    def service_kwargs(self) -> dict:
        data = super().service_kwargs()
        if not self.instance.pk:
            data["partnership"] = self.partnership
        return data


class PairEndForm(forms.Form):
    """End a pairing on a day: nothing is due after it, its history stays."""

    ended_on = forms.DateField(label=_("Ended on"), widget=_date_widget())
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, pair: DepartmentPair, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", version_of(pair))
        _style(self)


class SettingsForm(forms.ModelForm):
    """A partnership's reminder day and yearly secondment range (coordinators)."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = PairingSettings
        fields = ["reminder_day", "secondment_minimum", "secondment_target"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = version_of(self.instance)
        _style(self)

    def _post_clean(self):
        pass  # the service validates the locked row

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["version"] = self.cleaned_data.get("version") or None
        return data


# --- Work contacts ------------------------------------------------------------------------


class ContactForm(forms.ModelForm):
    """The head of a work contact. On a new record the pair is chosen among those the user
    records for; ``recorded_side`` is asked only of someone who acts for both sides or for
    neither (a programme coordinator)."""

    pair = forms.ModelChoiceField(label=_("Department pair"), queryset=DepartmentPair.objects)
    recorded_side = forms.ChoiceField(
        label=_("Recorded for"), choices=[("", "---------"), *Side.choices], required=False
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = WorkContact
        fields = ["held_on", "form", "form_other", "host_side", "place", "topics", "outcomes"]
        widgets = {
            "held_on": _date_widget(),
            "topics": forms.Textarea(attrs={"rows": 3}),
            "outcomes": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["pair", "recorded_side", "held_on", "form", "form_other", "host_side"]

    def __init__(self, *args, user: User, pairs=None, ask_side: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form_other"].required = False
        self.fields["form_other"].help_text = _("Only when the form is “Other”.")
        if self.instance.pk:
            del self.fields["pair"]
            del self.fields["recorded_side"]
            self.initial["version"] = version_of(self.instance)
        else:
            self.fields["pair"].queryset = pairs if pairs is not None else DepartmentPair.objects
            self.fields["pair"].label_from_instance = lambda p: f"{p.partnership} · {p}"
            if not ask_side:
                del self.fields["recorded_side"]
        _style(self)

    def _post_clean(self):
        pass  # the service checks the rules (dates within the pairing, the other form named)

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        for name in ("form_other", "place", "outcomes", "topics"):
            data[name] = data[name] or ""
        if "recorded_side" in self.fields and self.cleaned_data.get("recorded_side"):
            data["recorded_side"] = self.cleaned_data["recorded_side"]
        if self.instance.pk:
            data["version"] = self.cleaned_data.get("version") or None
        return data


class ParticipantForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=100, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        data = super().clean()
        if not data.get("name") and (data.get("unit") or data.get("title")):
            self.add_error("name", _("Each participant needs a name."))
        return data


ParticipantFormSet = forms.formset_factory(ParticipantForm, extra=3)


class FollowUpForm(forms.Form):
    text = forms.CharField(label=_("Follow-up action"), max_length=2000, required=False)
    owner_side = forms.ChoiceField(
        label=_("Owner side"), choices=[("", "---------"), *Side.choices], required=False
    )
    due_on = forms.DateField(label=_("Due on"), required=False, widget=_date_widget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean(self):
        data = super().clean()
        if data.get("text") and not data.get("owner_side"):
            self.add_error("owner_side", _("Choose the side that owns the action."))
        if not data.get("text") and (data.get("owner_side") or data.get("due_on")):
            self.add_error("text", _("Describe the action."))
        return data


FollowUpFormSet = forms.formset_factory(FollowUpForm, extra=2)


class SingleFollowUpForm(FollowUpForm):
    """Add one action on the contact's page: the text and the owner side are required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = True
        self.fields["owner_side"].required = True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files; each is checked as the service will (size, type, content)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                services.validate_upload(upload)
            except ValidationError as exc:
                errors.extend(f"{upload.name}: {m}" for m in exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class AttachmentsForm(forms.Form):
    files = AttachmentsField(label=_("Attachments"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "Minutes, photos or slides: PDF, Word, Excel or images, at most %(mb)d MB each."
        ) % {"mb": services.max_upload_bytes() // 2**20}
        _style(self)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"), widget=forms.Textarea(attrs={"rows": 2}), required=True
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


def participant_rows(formset) -> list[dict]:
    return [
        {
            "name": f.cleaned_data["name"],
            "unit": f.cleaned_data["unit"],
            "title": f.cleaned_data["title"],
        }
        for f in formset.forms
        if f.cleaned_data.get("name")
    ]


def follow_up_rows(formset) -> list[dict]:
    return [
        {
            "text": f.cleaned_data["text"],
            "owner_side": f.cleaned_data["owner_side"],
            "due_on": f.cleaned_data.get("due_on"),
        }
        for f in formset.forms
        if f.cleaned_data.get("text")
    ]
