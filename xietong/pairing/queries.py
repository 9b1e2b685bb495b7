"""Reads of the pairing app, all starting from core.scope.

Pairing is internal government work: department pairs, work contacts, secondments and
trainings are visible to the internal roles of the partnerships a user sees (coordinators
of the pair and of its programme, department staff of either side, sector groups, leaders
read-only) and to the administrator; never to enterprise users or the auditor, and never
to the people of other pairs (a 404).

Inspection visits are the one exception: an enterprise user also sees the visits its own
enterprise took part in (``Membership.enterprise``), because the enterprise was there.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xietong.core import scope
from xietong.core.models import Membership, Role, User

from . import services
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

_PAIR = ("partnership__developed_side", "partnership__partner_side", "partnership__programme")


def _pairs(user: User):
    return scope.internal_partnerships(user).order_by().values("pk")


def pairing_settings(user: User) -> QuerySet[PairingSettings]:
    return PairingSettings.objects.filter(partnership__in=_pairs(user))


def department_pairs(user: User) -> QuerySet[DepartmentPair]:
    return DepartmentPair.objects.filter(partnership__in=_pairs(user)).select_related(
        *_PAIR,
        "developed_unit__region",
        "partner_unit__region",
        "developed_lead",
        "partner_lead",
    )


def contacts(user: User) -> QuerySet[WorkContact]:
    return WorkContact.objects.filter(pair__partnership__in=_pairs(user)).select_related(
        "pair__developed_unit",
        "pair__partner_unit",
        "pair__partnership__developed_side",
        "pair__partnership__partner_side",
        "recorded_by",
        "confirmed_by",
    )


def participants(user: User) -> QuerySet[ContactParticipant]:
    return ContactParticipant.objects.filter(contact__pair__partnership__in=_pairs(user))


def follow_ups(user: User) -> QuerySet[FollowUpAction]:
    return FollowUpAction.objects.filter(
        contact__pair__partnership__in=_pairs(user)
    ).select_related("contact__pair", "task")


def attachments(user: User) -> QuerySet[ContactAttachment]:
    return ContactAttachment.objects.filter(contact__pair__partnership__in=_pairs(user))


def reminder_logs(user: User) -> QuerySet[ReminderLog]:
    return ReminderLog.objects.filter(pair__partnership__in=_pairs(user))


def secondments(user: User) -> QuerySet[Secondment]:
    return Secondment.objects.filter(partnership__in=_pairs(user)).select_related(
        *_PAIR, "sending_unit", "host_unit", "user", "mentor"
    )


def trainings(user: User) -> QuerySet[Training]:
    return Training.objects.filter(partnership__in=_pairs(user)).select_related(*_PAIR, "host_unit")


def attendances(user: User) -> QuerySet[TrainingAttendance]:
    return TrainingAttendance.objects.filter(training__partnership__in=_pairs(user)).select_related(
        "training", "unit", "user"
    )


def _own_enterprises(user: User) -> list[int]:
    if not user or not user.is_authenticated or not user.is_active:
        return []
    return list(
        Membership.objects.filter(
            user=user, role=Role.ENTERPRISE_USER, enterprise__isnull=False
        ).values_list("enterprise_id", flat=True)
    )


def inspection_visits(user: User) -> QuerySet[InspectionVisit]:
    """Visits of the user's pairs, and for an enterprise user those of its own enterprise."""
    q = Q(partnership__in=_pairs(user))
    own = _own_enterprises(user)
    if own:
        visible = scope.partnerships(user).order_by().values("pk")
        q |= Q(
            pk__in=InspectionVisit.objects.filter(
                enterprises__in=own, partnership__in=visible
            ).values("pk")
        )
    return InspectionVisit.objects.filter(q).select_related(*_PAIR)


for _model, _function in [
    (PairingSettings, pairing_settings),
    (DepartmentPair, department_pairs),
    (WorkContact, contacts),
    (ContactParticipant, participants),
    (FollowUpAction, follow_ups),
    (ContactAttachment, attachments),
    (ReminderLog, reminder_logs),
    (Secondment, secondments),
    (Training, trainings),
    (TrainingAttendance, attendances),
    (InspectionVisit, inspection_visits),
]:
    scope.register(_model, _function, services.permission)
