"""Forms of the plan pages: a plan (总体方案 / 实施方案), its key tasks, closing it."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from xietong.core.models import User

from . import queries
from .forms_meetings import ServiceForm, _style, coordinated_partnerships
from .models import KeyTask, Plan


class PlanForm(ServiceForm):
    class Meta:
        model = Plan
        fields = ["partnership", "kind", "title", "start_year", "end_year", "summary", "adopted_at"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = coordinated_partnerships(user)
        self.fields["partnership"].queryset = pairs
        self.fields["adopted_at"].queryset = queries.meetings(user).filter(partnership__in=pairs)
        for name in ("start_year", "end_year"):
            self.fields[name].validators += [MinValueValidator(2000), MaxValueValidator(2100)]
            self.fields[name].widget.attrs.update(min=2000, max=2100)
        self.fields["adopted_at"].help_text = _("The joint conference that adopted it.")
        _style(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", _("The plan cannot end before it starts."))
        meeting, pair = data.get("adopted_at"), data.get("partnership") or self.instance_pair()
        if meeting and pair and meeting.partnership_id != pair.pk:
            self.add_error("adopted_at", _("The meeting belongs to another partnership."))
        return data

    def instance_pair(self):
        return self.instance.partnership if self.instance.pk else None


class KeyTaskForm(ServiceForm):
    class Meta:
        model = KeyTask
        fields = ["area", "code", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["code"].required = False
            self.fields["code"].help_text = _(
                "Left empty: the next code of the area (CY, CX, KJ, GG and a number)."
            )
        _style(self)


class VersionForm(ServiceForm):
    """Only the version: for an action on the object as it was shown (closing a plan)."""

    class Meta:
        model = Plan
        fields: list[str] = []
