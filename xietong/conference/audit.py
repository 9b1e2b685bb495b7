"""Register the conference's business data with django-auditlog."""

from auditlog.registry import auditlog

from .models import (
    AgendaItem,
    AnnualAgreement,
    Attachment,
    Attendee,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    LightRules,
    Meeting,
    Milestone,
    Plan,
    ProgressReport,
    Resolution,
    Target,
    Task,
    TaskUnit,
)

for model in (
    Plan,
    KeyTask,
    Meeting,
    Attendee,
    AgendaItem,
    Resolution,
    CoordinationIssue,
    AnnualAgreement,
    Task,
    TaskUnit,
    Milestone,
    Target,
    ProgressReport,
    ExtensionRequest,
    Attachment,
    LightRules,
):
    auditlog.register(model)
