"""Register the pairing app's business data with django-auditlog."""

from auditlog.registry import auditlog

from .models import (
    ContactAttachment,
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    InspectionVisit,
    PairingSettings,
    ReminderLog,
    Secondment,
    Training,
    TrainingAttendance,
    WorkContact,
)

for model in (
    PairingSettings,
    DepartmentPair,
    WorkContact,
    ContactParticipant,
    FollowUpAction,
    ContactAttachment,
    ReminderLog,
    Secondment,
    Training,
    TrainingAttendance,
):
    auditlog.register(model)
# The enterprises of a visit are part of what a visit says: record their changes too.
auditlog.register(InspectionVisit, m2m_fields={"enterprises"})
