"""Reads of the conference app, all starting from core.scope.

Conference data is internal government work: it is visible to the internal roles of the
partnerships a user sees (coordinators, department staff, sector groups, leaders) and to
the administrator; never to enterprise users or the auditor.
"""

from __future__ import annotations

from django.db.models import QuerySet

from xietong.core import scope
from xietong.core.models import User

from . import services
from .models import (
    AnnualAgreement,
    Attachment,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    Meeting,
    Plan,
    ProgressReport,
    Resolution,
    Task,
)


def _pairs(user: User):
    return scope.internal_partnerships(user).order_by().values("pk")


def meetings(user: User) -> QuerySet[Meeting]:
    return Meeting.objects.filter(partnership__in=_pairs(user)).select_related(
        "partnership__developed_side", "partnership__partner_side", "host_side"
    )


def resolutions(user: User) -> QuerySet[Resolution]:
    return Resolution.objects.filter(meeting__partnership__in=_pairs(user)).select_related(
        "meeting"
    )


def plans(user: User) -> QuerySet[Plan]:
    return Plan.objects.filter(partnership__in=_pairs(user))


def key_tasks(user: User) -> QuerySet[KeyTask]:
    return KeyTask.objects.filter(plan__partnership__in=_pairs(user)).select_related("plan")


def agreements(user: User) -> QuerySet[AnnualAgreement]:
    return AnnualAgreement.objects.filter(partnership__in=_pairs(user)).select_related(
        "partnership__developed_side", "partnership__partner_side", "meeting", "plan"
    )


def issues(user: User) -> QuerySet[CoordinationIssue]:
    return CoordinationIssue.objects.filter(partnership__in=_pairs(user)).select_related(
        "raised_by__region", "task"
    )


def tasks(user: User) -> QuerySet[Task]:
    return Task.objects.filter(agreement__partnership__in=_pairs(user)).select_related(
        "agreement__partnership", "responsible"
    )


def reports(user: User) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(
        task__agreement__partnership__in=_pairs(user)
    ).select_related("task", "submitted_by", "reviewed_by", "unit")


def extensions(user: User) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(task__agreement__partnership__in=_pairs(user))


def attachments(user: User) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        meeting__partnership__in=_pairs(user)
    ) | Attachment.objects.filter(report__task__agreement__partnership__in=_pairs(user))


def my_tasks(user: User) -> QuerySet[Task]:
    """Tasks of the user's units, or where the user is the responsible person or in the group."""
    g = scope.grants(user)
    visible = tasks(user)
    return (
        visible.filter(task_units__unit__in=g.units)
        | visible.filter(responsible=user)
        | visible.filter(working_group=user)
    ).distinct()


for _model, _function in [
    (Meeting, meetings),
    (Resolution, resolutions),
    (Plan, plans),
    (KeyTask, key_tasks),
    (AnnualAgreement, agreements),
    (CoordinationIssue, issues),
    (Task, tasks),
    (ProgressReport, reports),
    (ExtensionRequest, extensions),
    (Attachment, attachments),
]:
    scope.register(_model, _function, services.permission)
