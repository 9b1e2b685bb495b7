"""Forms of the networking events pages (the rules are in events.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Event, MeetingRequest, Registration


class EventForm(forms.ModelForm):
    themes = forms.MultipleChoiceField(
        label=_("themes"),
        choices=Event.Theme.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Event
        fields = [
            "partnership",
            "title",
            "date",
            "place",
            "themes",
            "capacity",
            "start_time",
            "slot_minutes",
            "slot_count",
            "tables",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, partnerships=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partnerships is not None:
            field = self.fields["partnership"]
            field.queryset = partnerships
            if len(partnerships) == 1:  # an organiser of one pair: nothing to choose
                field.empty_label = None
                field.initial = partnerships[0].pk


class RegisterForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=_("enterprise"), queryset=None, widget=forms.Select(attrs={"class": "form-select"})
    )
    delegates = forms.CharField(
        label=_("delegates"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("Name and position, one a line."),
    )

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class RegistrationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Registration) -> str:
        return str(obj.enterprise)


class RequestForm(forms.Form):
    sender = RegistrationChoice(
        label=pgettext_lazy("meeting request", "From"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    addressee = RegistrationChoice(
        label=pgettext_lazy("meeting request", "To"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    preference = forms.ChoiceField(
        label=_("preference"),
        widget=forms.Select(attrs={"class": "form-select"}),
        choices=[
            c
            for c in MeetingRequest.Preference.choices
            if c[0] != MeetingRequest.Preference.NO_THANKS
        ],
    )
    message = forms.CharField(
        label=_("message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, senders, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = senders.select_related("enterprise")
        self.fields["addressee"].queryset = registrations.select_related("enterprise")


class MoveForm(forms.Form):
    """Slot and table as people count them (from 1)."""

    slot = forms.IntegerField(label=_("slot"), min_value=1)
    table = forms.IntegerField(label=_("table"), min_value=1)


class OutcomeForm(forms.Form):
    held = forms.BooleanField(label=_("held"), required=False)
    deal = forms.BooleanField(label=_("agreement reached"), required=False)
    follow_up = forms.CharField(label=_("follow-up"), required=False)
    match = forms.ModelChoiceField(label=_("match followed up"), queryset=None, required=False)

    def __init__(self, *args, matches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["match"].queryset = matches
