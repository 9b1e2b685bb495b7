"""Forms of the meeting, issue, plan and agreement pages; choices limited to the user's scope."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from xietong.core import scope, uploads
from xietong.core.models import OrgUnit, Partnership, Region, User

from . import queries, services
from .models import (
    AnnualAgreement,
    Area,
    Attendee,
    CoordinationIssue,
    Meeting,
    Plan,
    Resolution,
    Task,
)
from .versions import EditConflict, version_of

# --- Uploads --------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def validate_upload(upload: UploadedFile) -> tuple[str, str]:
    """An attachment of a meeting or a progress report (``core.uploads``, at most 20 MB)."""
    return uploads.validate_upload(upload, MAX_UPLOAD_BYTES)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.extension, self.content_type = validate_upload(upload)
        return upload


# --- Shared ---------------------------------------------------------------------------


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        widget.attrs.setdefault("class", css)


class ServiceForm(forms.ModelForm):
    """A ModelForm for its model's fields, labels and widgets only.

    The service function (``plan_services``) checks the rules against the row it locks and
    saves, so this form neither copies the input onto its instance nor validates it as a
    model: an object loaded before someone else's change is never saved over it. An edit
    form carries the object's version (``versions.version_of``) in a hidden field; on a
    conflict, ``show_conflict`` keeps the input and shows the values saved meanwhile.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = version_of(self.instance)
            self.fields["version"].required = True
            if "partnership" in self.fields:
                self.fields["partnership"].disabled = True

    def _post_clean(self):
        pass  # no construct_instance() / full_clean(): the service does both on the locked row

    def save(self, commit=True):
        raise TypeError("Save through the service function, with service_kwargs().")

    def service_kwargs(self) -> dict:
        """The cleaned input as keyword arguments of the service function (the version
        when editing; not the fields that cannot change)."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "version" and not self.fields[name].disabled
        }
        if self.instance.pk:
            data["version"] = self.cleaned_data.get("version") or None
        return data

    def show_conflict(self, conflict: EditConflict) -> None:
        """Keep the input, take the current version (saving again then replaces the values
        saved meanwhile, knowingly) and show them beside the fields that differ."""
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = conflict.version
        current = conflict.current
        for name, field in self.fields.items():
            if name == "version" or field.disabled or name not in self.cleaned_data:
                continue
            mine, saved = self.cleaned_data[name], getattr(current, name, None)
            if mine is None or (mine or None) == (saved or None):
                continue  # None: left empty, which keeps what is saved
            display = getattr(current, f"get_{name}_display", None)
            shown = display() if display else saved
            self.add_error(
                name,
                _("Saved by someone else meanwhile: %(value)s")
                % {"value": "—" if shown in (None, "") else shown},
            )
        self.add_error(None, conflict.messages[0])


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields where the form has them."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def coordinated_partnerships(user: User) -> QuerySet[Partnership]:
    """The visible pairs whose conference the user runs."""
    visible = scope.internal_partnerships(user)
    return visible.filter(pk__in=[p.pk for p in visible if services.can_coordinate(user, p)])


def side_regions(pairs: QuerySet[Partnership]) -> QuerySet[Region]:
    pairs = pairs.order_by()
    return Region.objects.filter(
        Q(pk__in=pairs.values("developed_side")) | Q(pk__in=pairs.values("partner_side"))
    )


def pair_units(user: User, partnership: Partnership) -> QuerySet[OrgUnit]:
    return scope.org_units(user).filter(region__in=partnership.region_ids, is_active=True)


class PairLabelMixin:
    """Unit choices read "region · unit", so the two sides are told apart."""

    @staticmethod
    def unit_label(unit: OrgUnit) -> str:
        return f"{unit.region.name} · {unit.name}"


# --- Meetings -------------------------------------------------------------------------


class MeetingForm(ServiceForm):
    class Meta:
        model = Meeting
        fields = [
            "partnership",
            "number",
            "year",
            "date",
            "host_side",
            "place",
            "convener_developed",
            "convener_partner",
            "status",
            "minutes",
        ]
        widgets = {"date": _date_widget(), "minutes": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = coordinated_partnerships(user)
        self.fields["partnership"].queryset = pairs
        self.fields["host_side"].queryset = side_regions(pairs)
        for name in ("number", "year", "host_side", "place"):
            self.fields[name].required = False
        if self.instance.pk:
            self.fields["number"].help_text = _("Left empty: the number it has.")
        else:
            self.fields["number"].help_text = _("Left empty: the next number of this partnership.")
        self.fields["place"].help_text = _("Left empty: the partner side.")
        _style(self)


class AttendeeForm(PairLabelMixin, forms.ModelForm):
    class Meta:
        model = Attendee
        fields = ["side", "org_unit", "name", "title"]

    def __init__(self, *args, user: User, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        pair = meeting.partnership
        self.fields["side"].queryset = Region.objects.filter(pk__in=pair.region_ids)
        self.fields["org_unit"].queryset = pair_units(user, pair)
        self.fields["org_unit"].label_from_instance = self.unit_label
        _style(self)

    def clean(self):
        data = super().clean()
        unit, side = data.get("org_unit"), data.get("side")
        if unit and side and unit.region_id != side.pk:
            self.add_error("org_unit", _("This unit is not on the chosen side."))
        return data


class AgendaItemForm(forms.Form):
    issue = forms.ModelChoiceField(
        label=_("Issue raised"),
        queryset=CoordinationIssue.objects.none(),
        required=False,
        help_text=_("Open coordination issues of this partnership."),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the issue's title."),
    )
    presenter = forms.CharField(label=_("Presenter"), max_length=100, required=False)

    def __init__(self, *args, user: User, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue"].queryset = queries.issues(user).filter(
            partnership=meeting.partnership, status=CoordinationIssue.Status.OPEN
        )
        _style(self)

    def clean(self):
        data = super().clean()
        if not data.get("title") and not data.get("issue"):
            raise forms.ValidationError(_("Give the item a title or choose an issue."))
        return data


class ResolutionForm(forms.ModelForm):
    class Meta:
        model = Resolution
        fields = ["number", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = _("Left empty: the next number.")
        last = meeting.resolutions.order_by("-number").values_list("number", flat=True).first()
        self.fields["number"].initial = (last or 0) + 1
        _style(self)


# --- Resolution → tasks ---------------------------------------------------------------


class ResolutionAgreementForm(forms.Form):
    agreement = forms.ModelChoiceField(
        label=_("Annual agreement"), queryset=AnnualAgreement.objects.none()
    )

    def __init__(self, *args, agreements: QuerySet[AnnualAgreement], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements
        _style(self)


class TaskRowForm(PairLabelMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    area = forms.ChoiceField(label=_("Area"), choices=Area.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=Task.Kind.choices)
    lead_units = forms.ModelMultipleChoiceField(
        label=_("Lead units"), queryset=OrgUnit.objects.none()
    )
    support_units = forms.ModelMultipleChoiceField(
        label=_("Supporting units"), queryset=OrgUnit.objects.none(), required=False
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=User.objects.none(), required=False
    )
    start_date = forms.DateField(label=_("Start date"), widget=_date_widget())
    deadline = forms.DateField(label=_("Deadline"), widget=_date_widget())
    content = forms.CharField(
        label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, units: QuerySet[OrgUnit], people: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_units", "support_units"):
            self.fields[name].queryset = units
            self.fields[name].label_from_instance = self.unit_label
            self.fields[name].widget.attrs["size"] = 4
        self.fields["responsible"].queryset = people
        _style(self)

    def has_changed(self) -> bool:
        # Selects always post a value (their first option), so a row counts as filled in
        # only when something else was typed; untouched extra rows are then ignored.
        return bool(set(self.changed_data) - {"area", "kind"})

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("deadline")
        if start and end and end < start:
            self.add_error("deadline", _("The deadline cannot be before the start date."))
        lead, support = set(data.get("lead_units") or []), set(data.get("support_units") or [])
        if lead & support:
            self.add_error("support_units", _("A unit cannot both lead and support a task."))
        return data


class BaseTaskRowFormSet(forms.BaseFormSet):
    def __init__(self, *args, agreement: AnnualAgreement | None = None, **kwargs):
        self.agreement = agreement
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        codes = [f.cleaned_data["code"] for f in self.forms if f.cleaned_data]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError(_("Two rows have the same code."))
        if self.agreement is not None:
            taken = set(self.agreement.tasks.filter(code__in=codes).values_list("code", flat=True))
            if taken:
                raise forms.ValidationError(
                    _("The agreement already has tasks with these codes: %(codes)s")
                    % {"codes": "、".join(sorted(taken))}
                )

    def rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data]


TaskRowFormSet = forms.formset_factory(
    TaskRowForm, formset=BaseTaskRowFormSet, extra=2, min_num=1, validate_min=True, max_num=20
)


def pair_people(user: User, partnership: Partnership) -> QuerySet[User]:
    """People who may be named responsible: members of the pair's sides the user sees."""
    sides = partnership.region_ids
    members = scope.memberships(user).filter(
        Q(partnership=partnership) | Q(org_unit__region__in=sides) | Q(region__in=sides)
    )
    return scope.users(user).filter(pk__in=members.values("user_id"), is_active=True)


# --- Coordination issues --------------------------------------------------------------


class IssueForm(PairLabelMixin, forms.Form):
    partnership = forms.ModelChoiceField(
        label=_("Partnership"), queryset=Partnership.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    unit = forms.ModelChoiceField(
        label=_("Raised by"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = services.issue_partnerships(user)
        self.fields["partnership"].queryset = pairs
        self.fields["unit"].queryset = scope.org_units(user).filter(
            region__in=side_regions(pairs), is_active=True
        )
        self.fields["unit"].label_from_instance = self.unit_label
        _style(self)

    def clean(self):
        data = super().clean()
        pair, unit = data.get("partnership"), data.get("unit")
        if pair and unit and unit.region_id not in pair.region_ids:
            self.add_error("unit", _("This unit is not on either side of the partnership."))
        return data


# --- Annual agreements ----------------------------------------------------------------


class AgreementForm(ServiceForm):
    class Meta:
        model = AnnualAgreement
        fields = ["partnership", "year", "title", "status", "meeting", "plan", "preamble"]
        widgets = {"preamble": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = coordinated_partnerships(user)
        self.fields["partnership"].queryset = pairs
        self.fields["meeting"].queryset = queries.meetings(user).filter(partnership__in=pairs)
        self.fields["plan"].queryset = queries.plans(user).filter(
            partnership__in=pairs, kind=Plan.Kind.IMPLEMENTATION
        )
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Left empty: named after the partnership and year.")
        self.fields["plan"].help_text = _("Left empty: the live implementation plan.")
        _style(self)


class CarryOverForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    tasks = forms.ModelMultipleChoiceField(
        label=_("Unfinished tasks to carry over"),
        queryset=Task.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, agreement: AnnualAgreement, **kwargs):
        super().__init__(*args, **kwargs)
        open_tasks = agreement.tasks.exclude(
            stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED]
        ).order_by("code")
        self.fields["tasks"].queryset = open_tasks
        self.fields["tasks"].initial = list(open_tasks.values_list("pk", flat=True))
        self.fields["year"].initial = agreement.year + 1
        self.fields["title"].initial = agreement.title.replace(
            str(agreement.year), str(agreement.year + 1)
        )
        self.agreement = agreement
        _style(self)

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year <= self.agreement.year:
            raise forms.ValidationError(_("The new agreement must be for a later year."))
        return year
