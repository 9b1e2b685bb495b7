"""Forms of the task pages: every choice is limited to the pair and to what the user sees.

Milestones and targets are typed one per line ("title | 2026-06-30", "indicator | 10 | 个"),
the way staff already list them in their spreadsheets.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core import scope
from xietong.core.models import User

from . import queries, services
from .forms_meetings import validate_upload
from .models import AnnualAgreement, Area, Plan, ProgressReport, Task, TaskUnit
from .versions import EditConflict, version_of

DATE_WIDGET = {"type": "date"}


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


def pair_members(user: User, agreement: AnnualAgreement):
    """The pair's members (``services.pair_members``) whom the user sees."""
    members = services.pair_members(agreement.partnership).values("pk")
    return scope.users(user).filter(pk__in=members)


def current_period(cadence: str, today: date) -> str:
    """The reporting period a report made today covers: 2026-11 monthly, 2026Q4 quarterly."""
    if cadence == Task.Cadence.QUARTERLY:
        return f"{today.year}Q{(today.month - 1) // 3 + 1}"
    return f"{today:%Y-%m}"


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.strip():
            rows.append([part.strip() for part in line.replace("｜", "|").split("|")])
    return rows


def format_milestones(milestones) -> str:
    return "\n".join(f"{m.title} | {m.due_date:%Y-%m-%d}" for m in milestones)


def plain_number(value: Decimal | None) -> str | None:
    """A decimal as people write it: 3, 4400, 12.5 (not 3.00, 4400.00, 4.4E+3)."""
    if value is None:
        return None
    return f"{value.normalize():f}"


def format_targets(targets) -> str:
    return "\n".join(f"{t.name} | {plain_number(t.target_value)} | {t.measure}" for t in targets)


def task_initial(task: Task) -> dict:
    """The edit form's values of a task as it is stored now."""
    units = list(task.task_units.all())
    return {
        "code": task.code,
        "title": task.title,
        "content": task.content,
        "area": task.area,
        "kind": task.kind,
        "lead_units": [tu.unit_id for tu in units if tu.role == TaskUnit.Role.LEAD],
        "support_units": [tu.unit_id for tu in units if tu.role == TaskUnit.Role.SUPPORT],
        "responsible": task.responsible_id,
        "working_group": sorted(task.working_group.values_list("pk", flat=True)),
        "start_date": task.start_date,
        "deadline": task.deadline,
        "milestones": format_milestones(task.milestones.order_by("due_date", "pk")),
        "targets": format_targets(task.targets.order_by("pk")),
        "priority": task.priority,
        "cadence": task.cadence,
        "key_task": task.key_task_id,
        "version": version_of(task),
    }


class TaskForm(forms.Form):
    """Create or edit a task of an agreement (the deadline changes only by extension)."""

    code = forms.CharField(label=_("Code"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(
        label=_("Content"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    area = forms.ChoiceField(label=_("Area"), choices=Area.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=Task.Kind.choices)
    lead_units = forms.ModelMultipleChoiceField(
        label=_("Lead units"), queryset=None, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    support_units = forms.ModelMultipleChoiceField(
        label=_("Supporting units"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    responsible = forms.ModelChoiceField(label=_("Responsible person"), queryset=None)
    working_group = forms.ModelMultipleChoiceField(
        label=_("Working group"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(DATE_WIDGET))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(DATE_WIDGET))
    milestones = forms.CharField(
        label=_("Milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: title | date (YYYY-MM-DD)."),
    )
    targets = forms.CharField(
        label=_("Quantified targets"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: indicator | target value | unit of measure."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, initial=Task.Priority.NORMAL
    )
    cadence = forms.ChoiceField(
        label=_("Report cadence"), choices=Task.Cadence.choices, initial=Task.Cadence.MONTHLY
    )
    key_task = forms.ModelChoiceField(
        label=_("Key task of the plan"), queryset=None, required=False
    )
    # The task's version when the form was shown (``versions.version_of``): an edit made
    # after someone else's is refused (409) instead of silently written over it.
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, agreement: AnnualAgreement, task: Task | None = None,
                 **kwargs):  # fmt: skip
        self.user, self.agreement, self.task = user, agreement, task
        super().__init__(*args, **kwargs)
        pair = agreement.partnership
        units = scope.org_units(user).filter(region__in=pair.region_ids)
        if task is None:
            units = units.filter(is_active=True)
        self.fields["lead_units"].queryset = units
        self.fields["support_units"].queryset = units
        people = pair_members(user, agreement)
        self.fields["responsible"].queryset = people
        self.fields["working_group"].queryset = people
        self.fields["key_task"].queryset = queries.key_tasks(user).filter(
            plan__partnership=pair, plan__status=Plan.Status.LIVE
        )
        self.fields["responsible"].label_from_instance = lambda u: u.display_name
        self.fields["working_group"].label_from_instance = lambda u: u.display_name
        outsider = _("Choose a person who is a member of either side of this partnership.")
        self.fields["responsible"].error_messages["invalid_choice"] = outsider
        self.fields["working_group"].error_messages["invalid_choice"] = outsider
        if task is not None:
            self.fields["version"].required = True
            # The deadline moves only through an approved extension (延期申请).
            self.fields["deadline"].disabled = True
            self.fields["deadline"].help_text = _(
                "The deadline changes only through an approved extension request."
            )
        _style(self)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        taken = self.agreement.tasks.filter(code=code)
        if self.task is not None:
            taken = taken.exclude(pk=self.task.pk)
        if taken.exists():
            raise ValidationError(_("Another task of this agreement already has this code."))
        return code

    def clean_milestones(self):
        result = []
        for number, parts in enumerate(_lines(self.cleaned_data["milestones"]), start=1):
            if len(parts) != 2 or not parts[0]:
                raise ValidationError(
                    _("Line %(line)s: write a title and a date separated by |.") % {"line": number}
                )
            try:
                due = date.fromisoformat(parts[1])
            except ValueError:
                raise ValidationError(
                    _("Line %(line)s: %(value)s is not a date (YYYY-MM-DD).")
                    % {"line": number, "value": parts[1]}
                ) from None
            result.append((parts[0], due))
        return result

    def clean_targets(self):
        result = []
        for number, parts in enumerate(_lines(self.cleaned_data["targets"]), start=1):
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValidationError(
                    _("Line %(line)s: write an indicator, a value and a unit separated by |.")
                    % {"line": number}
                )
            try:
                value = Decimal(parts[1].replace(",", ""))
            except InvalidOperation:
                raise ValidationError(
                    _("Line %(line)s: %(value)s is not a number.")
                    % {"line": number, "value": parts[1]}
                ) from None
            result.append((parts[0], value, parts[2] if len(parts) == 3 else ""))
        return result

    def clean(self):
        data = super().clean()
        lead, support = data.get("lead_units") or [], data.get("support_units") or []
        if set(lead) & set(support):
            self.add_error("support_units", _("A unit cannot both lead and support a task."))
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline < start:
            self.add_error("start_date", _("The deadline cannot be before the start date."))
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["lead_units"] = list(data["lead_units"])
        data["support_units"] = list(data["support_units"])
        data["working_group"] = list(data["working_group"])
        version = data.pop("version", "")
        if self.task is not None:
            data.pop("deadline")
            data["version"] = version or None
        return data

    def show_conflict(self, conflict: EditConflict) -> None:
        """Keep the input, take the current version (saving again then replaces what was
        saved meanwhile, knowingly) and show the saved value beside each field that
        differs from the input."""
        saved = task_initial(conflict.current)
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = saved["version"]
        for name, field in self.fields.items():
            if name in ("version", "deadline") or name not in self.cleaned_data:
                continue
            mine, theirs = self.cleaned_data[name], saved[name]
            if _comparable(mine, name) == _comparable(theirs, name):
                continue
            self.add_error(
                name,
                _("Saved by someone else meanwhile: %(value)s")
                % {"value": _display(field, theirs)},
            )
        self.add_error(None, conflict.messages[0])


def _comparable(value, name: str):
    """A field's value in one shape for comparing the input with the saved task."""
    if name in ("milestones", "targets"):
        if isinstance(value, list):  # cleaned: tuples
            value = (
                format_milestones_pairs(value)
                if name == "milestones"
                else "\n".join(f"{n} | {plain_number(v)} | {m}" for n, v, m in value)
            )
        return sorted(" | ".join(p for p in parts if p) for parts in _lines(value or ""))
    if isinstance(value, list | tuple | QuerySet):
        return sorted(getattr(v, "pk", v) for v in value)
    if value in ("", None):
        return None
    return getattr(value, "pk", value)


def format_milestones_pairs(pairs) -> str:
    return "\n".join(f"{title} | {due:%Y-%m-%d}" for title, due in pairs)


def _display(field: forms.Field, value) -> str:
    """A saved value as the form shows it (names of chosen people and units, labels)."""
    if value in (None, "", []):
        return "—"
    if isinstance(field, forms.ModelMultipleChoiceField | forms.ModelChoiceField):
        ids = value if isinstance(value, list) else [value]
        model = field.queryset.model
        objects = model._default_manager.filter(pk__in=ids)
        label = field.label_from_instance
        return "、".join(sorted(label(o) for o in objects)) or "—"
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value).replace("\n", "；")


class ReportForm(forms.Form):
    """A progress report: period, narrative, percent, and the actual of each target."""

    period = forms.RegexField(
        label=pgettext_lazy("report", "Period"),
        regex=r"^\d{4}(-(0[1-9]|1[0-2])|Q[1-4])$",
        max_length=10,
        help_text=_("e.g. 2026-03 or 2026Q1"),
        error_messages={"invalid": _("Write the period as 2026-03 or 2026Q1.")},
    )
    narrative = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100)
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("Optional: PDF, Word, Excel or an image."),
    )

    def __init__(self, *args, task: Task, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        for target in self.targets:
            self.fields[f"actual_{target.pk}"] = forms.DecimalField(
                label=_("%(name)s (%(measure)s)") % {"name": target.name, "measure": target.measure}
                if target.measure
                else target.name,
                required=False,
                max_digits=14,
                decimal_places=2,
                initial=plain_number(target.actual),
            )
        _style(self)

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            self.extension, self.content_type = validate_upload(upload)
        return upload

    def actuals(self) -> dict[int, Decimal]:
        result = {}
        for target in self.targets:
            value = self.cleaned_data.get(f"actual_{target.pk}")
            if value is not None:
                result[target.pk] = value
        return result


class ReviewReportForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("return", _("Return"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, report: ProgressReport | None = None, **kwargs):
        self.report = report
        super().__init__(*args, **kwargs)
        _style(self)


class ClaimForm(forms.Form):
    evidence = forms.CharField(
        label=_("Evidence of completion"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CompletionReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("close", _("Close the task")), ("return", _("Return to work"))],
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ExtensionForm(forms.Form):
    new_deadline = forms.DateField(
        label=_("Requested deadline"), widget=forms.DateInput(DATE_WIDGET)
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for termination"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
