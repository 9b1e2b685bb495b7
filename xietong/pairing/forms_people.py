"""Forms of the secondment, training and inspection-visit pages.

The service functions (``services.py``) check the rules against the row they lock and save;
these forms give labels, widgets and choices limited to one partnership and to what the
user sees, and catch what a person can correct field by field. Edit forms carry the
version token of ``conference.versions`` (``ServiceForm``).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.conference.forms_meetings import ServiceForm, _date_widget, _style
from xietong.core.models import Membership, OrgUnit, Partnership, User
from xietong.enterprise import queries as enterprise_queries
from xietong.enterprise.models import Enterprise

from . import services
from .models import InspectionVisit, Rating, Secondment, Side, Training, region_id_of


def _units(partnership: Partnership, side: str) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(
        region_id=region_id_of(partnership, side), is_active=True
    ).order_by("sort_order", "name")


def _people_label(user: User) -> str:
    return user.display_name


class _PeopleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _people_label(obj)


class _UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.region.name} · {obj.name}"


def side_label(partnership: Partnership, side: str) -> str:
    """ "万州区（协同方）": the region's name with the side's name."""
    region = partnership.developed_side if side == Side.DEVELOPED else partnership.partner_side
    return f"{region.name}（{Side(side).label}）"


# --- Secondments ----------------------------------------------------------------------


class SecondmentForm(ServiceForm):
    """A secondment of one partnership: the person and sending unit of the partner side, the
    host unit and mentor of the developed side."""

    class Meta:
        model = Secondment
        fields = list(services.SECONDMENT_FIELDS)
        widgets = {
            "starts_on": _date_widget(),
            "ends_on": _date_widget(),
            "goals": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {
            "user": _PeopleChoice,
            "mentor": _PeopleChoice,
            "sending_unit": _UnitChoice,
            "host_unit": _UnitChoice,
        }

    def __init__(self, *args, user: User, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        f = self.fields
        f["sending_unit"].queryset = _units(partnership, Side.PARTNER).select_related("region")
        f["host_unit"].queryset = _units(partnership, Side.DEVELOPED).select_related("region")
        f["user"].queryset = services.side_members(partnership, Side.PARTNER).order_by("full_name")
        f["mentor"].queryset = services.side_members(partnership, Side.DEVELOPED).order_by(
            "full_name"
        )
        f["user"].help_text = _("When the seconded cadre has an account on the platform.")
        f["mentor"].help_text = _("A person of the host side with an account, or the name below.")
        f["person_name"].required = False
        f["person_name"].help_text = _("Left empty: the name of the account chosen above.")
        _style(self)

    def clean(self):
        data = super().clean()
        account = data.get("user")
        if not (data.get("person_name") or "").strip():
            if account is not None:
                data["person_name"] = account.display_name
            else:
                self.add_error("person_name", _("Give the name of the seconded cadre."))
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class EvaluationForm(forms.Form):
    """The mid-term or final evaluation of a secondment, with its rating."""

    evaluation = forms.CharField(
        label=_("Evaluation"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write the evaluation.")},
    )
    rating = forms.ChoiceField(
        label=_("Rating"),
        choices=[("", "—"), *Rating.choices],
        error_messages={"required": _("Choose a rating.")},
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancellation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the secondment is cancelled.")},
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


# --- Trainings ------------------------------------------------------------------------


class TrainingForm(ServiceForm):
    class Meta:
        model = Training
        fields = list(services.TRAINING_FIELDS)
        widgets = {
            "held_on": _date_widget(),
            "ends_on": _date_widget(),
            "topics": forms.Textarea(attrs={"rows": 3}),
            "trainers": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"topics": pgettext_lazy("training", "Topics")}
        field_classes = {"host_unit": _UnitChoice}

    def __init__(self, *args, user: User, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        self.fields["host_unit"].queryset = (
            OrgUnit.objects.filter(region_id__in=partnership.region_ids, is_active=True)
            .select_related("region")
            .order_by("region_id", "sort_order", "name")
        )
        self.fields["host_unit"].label = _("Organised by")
        _style(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("held_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data


class AttendeeForm(forms.Form):
    """One row of the attendees: a person of either side with an account, or a name and a
    unit as written; the side is taken from the person or the unit when left empty."""

    person = _PeopleChoice(
        label=capfirst(_("account")), queryset=User.objects.none(), required=False
    )
    name = forms.CharField(
        label=capfirst(pgettext_lazy("person", "name")), max_length=60, required=False
    )
    unit = _UnitChoice(label=capfirst(_("unit")), queryset=OrgUnit.objects.none(), required=False)
    unit_name = forms.CharField(
        label=capfirst(_("unit (as written)")), max_length=100, required=False
    )
    side = forms.ChoiceField(label=capfirst(_("side")), choices=[], required=False)
    hours = forms.DecimalField(
        label=capfirst(_("hours")),
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0"),
        required=False,
    )

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.partnership = partnership
        developed = services.side_members(partnership, Side.DEVELOPED)
        partner = services.side_members(partnership, Side.PARTNER)
        self.developed_ids = set(developed.values_list("pk", flat=True))
        self.partner_ids = set(partner.values_list("pk", flat=True))
        self.fields["person"].queryset = User.objects.filter(
            pk__in=self.developed_ids | self.partner_ids
        ).order_by("full_name", "username")
        self.fields["unit"].queryset = (
            OrgUnit.objects.filter(region_id__in=partnership.region_ids, is_active=True)
            .select_related("region")
            .order_by("region_id", "sort_order", "name")
        )
        self.fields["side"].choices = [
            ("", _("From the person or unit")),
            *[(side, side_label(partnership, side)) for side in Side.values],
        ]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
        self.fields["hours"].widget.attrs.update(step="0.5", min="0")

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("person") or (data.get("name") or "").strip())

    def clean(self):
        data = super().clean()
        if data.get("DELETE"):
            return data
        person, unit = data.get("person"), data.get("unit")
        name = (data.get("name") or "").strip()
        anything = person or name or unit or data.get("unit_name") or data.get("hours")
        if not anything:
            return data
        if not person and not name:
            self.add_error("name", _("Choose a person or write a name."))
            return data
        side = data.get("side") or ""
        if not side:
            if person is not None:
                in_dev, in_partner = person.pk in self.developed_ids, person.pk in self.partner_ids
                side = Side.DEVELOPED if in_dev and not in_partner else Side.PARTNER
            elif unit is not None:
                side = (
                    Side.DEVELOPED
                    if unit.region_id == self.partnership.developed_side_id
                    else Side.PARTNER
                )
            else:
                side = Side.PARTNER
        data["side"] = side
        if person is not None:
            members = self.developed_ids if side == Side.DEVELOPED else self.partner_ids
            if person.pk not in members:
                self.add_error("person", _("This person is not of the chosen side."))
            if not name:
                data["name"] = person.display_name
            if unit is None and not (data.get("unit_name") or "").strip():
                data["unit"] = _unit_of(person, region_id_of(self.partnership, side))
        if unit is not None and unit.region_id != region_id_of(self.partnership, side):
            self.add_error("unit", _("This unit is not of the attendee's side."))
        if data.get("hours") is None:
            self.add_error("hours", _("Give the hours attended."))
        return data

    def attendee(self) -> services.Attendee:
        data = self.cleaned_data
        return services.Attendee(
            name=(data.get("name") or "").strip(),
            hours=data["hours"],
            side=data["side"],
            unit=data.get("unit"),
            unit_name=(data.get("unit_name") or "").strip(),
            user=data.get("person"),
        )


def _unit_of(user: User, region_id: int) -> OrgUnit | None:
    membership = (
        Membership.objects.filter(user=user, org_unit__region_id=region_id)
        .select_related("org_unit")
        .order_by("pk")
        .first()
    )
    return membership.org_unit if membership else None


class _AttendeeFormSet(forms.BaseFormSet):
    def __init__(self, *args, partnership: Partnership, **kwargs):
        self.partnership = partnership
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "partnership": self.partnership}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            partnership=self.partnership,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        if any(self.errors):
            return
        seen: set[int] = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE") or form.is_blank:
                continue
            person = form.cleaned_data.get("person")
            if person is not None:
                if person.pk in seen:
                    form.add_error("person", _("This person is listed twice."))
                seen.add(person.pk)

    def attendees(self) -> list[services.Attendee]:
        return [
            form.attendee()
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.is_blank
        ]


def attendee_formset(partnership: Partnership, data=None, *, training: Training | None = None):
    """The attendees of ``training`` (or none yet) as a formset with a few empty rows."""
    initial = []
    if training is not None:
        initial = [
            {
                "person": a.user_id,
                "name": a.name,
                "unit": a.unit_id,
                "unit_name": "" if a.unit_id else a.unit_name,
                "side": a.side,
                "hours": a.hours,
            }
            for a in training.attendances.order_by("side", "pk")
        ]
    formset_class = forms.formset_factory(
        AttendeeForm,
        formset=_AttendeeFormSet,
        extra=2 if initial else 5,
        can_delete=True,
    )
    return formset_class(data, initial=initial, prefix="attendees", partnership=partnership)


# --- Inspection visits ----------------------------------------------------------------


def pickable_enterprises(
    user: User, partnership: Partnership, side: str | None
) -> QuerySet[Enterprise]:
    """The enterprises the user sees of the visiting side of ``partnership``."""
    if side not in Side.values:
        return Enterprise.objects.none()
    return (
        enterprise_queries.enterprises(user)
        .filter(partnership=partnership, side_id=region_id_of(partnership, side))
        .order_by("name", "pk")
    )


class VisitForm(ServiceForm):
    """A visit of one partnership; the enterprises are those of the visiting side that the
    user sees (those already linked stay linked, seen or not)."""

    enterprises = forms.ModelMultipleChoiceField(
        label=_("Enterprises involved"),
        queryset=Enterprise.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = InspectionVisit
        fields = list(services.VISIT_FIELDS)
        widgets = {
            "starts_on": _date_widget(),
            "ends_on": _date_widget(),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 4}),
            "follow_ups": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = [
        "visiting_side",
        "starts_on",
        "ends_on",
        "destination",
        "lead",
        "purpose",
        "enterprises",
        "findings",
        "follow_ups",
    ]

    def __init__(self, *args, user: User, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.partnership = user, partnership
        side_field = self.fields["visiting_side"]
        side_field.choices = [
            ("", "—"),
            *[(side, side_label(partnership, side)) for side in Side.values],
        ]
        side_field.help_text = _("The host side is the other one.")
        self.linked = list(self.instance.enterprises.all()) if self.instance.pk else []
        self.fields["enterprises"].help_text = _(
            "Enterprises of the visiting side; the list follows the side chosen above."
        )
        self.fields["enterprises"].queryset = self.enterprise_choices(self.chosen_side())
        if self.instance.pk:
            self.initial["enterprises"] = [e.pk for e in self.linked]
        _style(self)

    def chosen_side(self) -> str | None:
        if self.is_bound:
            return self.data.get(self.add_prefix("visiting_side")) or None
        return self.initial.get("visiting_side") or self.instance.visiting_side or None

    def enterprise_choices(self, side: str | None) -> QuerySet[Enterprise]:
        visible = pickable_enterprises(self.user, self.partnership, side)
        linked = [e.pk for e in self.linked]
        if linked:
            seen = enterprise_queries.enterprises(self.user).filter(pk__in=linked)
            return Enterprise.objects.filter(
                Q(pk__in=visible.values("pk")) | Q(pk__in=seen.values("pk"))
            ).order_by("name", "pk")
        return visible

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return data

    def service_kwargs(self) -> dict:
        """The chosen enterprises, and those linked already that the user does not see
        (a person cannot unlink what they are not shown)."""
        data = super().service_kwargs()
        chosen = list(data.get("enterprises") or [])
        if self.linked:
            seen = set(
                enterprise_queries.enterprises(self.user)
                .filter(pk__in=[e.pk for e in self.linked])
                .values_list("pk", flat=True)
            )
            chosen += [e for e in self.linked if e.pk not in seen]
        data["enterprises"] = chosen
        return data
