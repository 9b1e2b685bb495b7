"""The huey jobs of the task list: the daily job (traffic lights, reminders, escalation,
digests) and the background import of a large task list.

``run_daily(today)`` does the work for one day (a date in Asia/Shanghai) and is what the
tests and ``xietong conference daily`` call; the huey task runs it at 01:00 Shanghai time.
It is idempotent: a second run on the same day changes nothing and sends nothing, because
lights are saved only when they change, notification keys carry the date and an overdue
task has at most one open coordination issue. The rules are in docs/conference.md.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from auditlog.cid import correlation_id, get_cid
from auditlog.context import set_actor
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from xietong.core.audit import client_ip, current_request
from xietong.core.models import Membership, Role, User
from xietong.core.notifications import notify, send_digests

from . import imports, services
from .models import (
    AnnualAgreement,
    CoordinationIssue,
    Milestone,
    Task,
    TaskEvent,
    TaskUnit,
)

_one_am = crontab(hour="1", minute="0")


def at_one_local(moment: datetime) -> bool:
    """01:00 in the platform's time zone (Asia/Shanghai), whatever clock huey keeps.

    huey hands the validator a naive UTC time by default (``utc=True``), or naive local
    time; a bare ``crontab(hour=1)`` would otherwise fire at 09:00 in Shanghai.
    """
    if HUEY.utc:
        moment = timezone.localtime(moment.replace(tzinfo=UTC)).replace(tzinfo=None)
    return _one_am(moment)


@db_periodic_task(at_one_local)
def daily_job() -> None:
    run_daily(timezone.localdate())


@dataclass
class DailyResult:
    changed: int = 0
    notifications: int = 0
    escalated: int = 0
    digests: int = 0


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def _task_url(task: Task) -> str:
    try:
        return reverse("conference:task_detail", args=[task.pk])
    except NoReverseMatch:  # the task pages are not mounted (e.g. a stripped deployment)
        return ""


def _issue_url() -> str:
    try:
        return reverse("conference:issue_list")
    except NoReverseMatch:
        return ""


class People:
    """Who to tell, looked up once per run: lead-unit staff and pair coordinators."""

    def __init__(self):
        self.staff: dict[int, list[User]] = {}
        self.coordinators: dict[int, list[User]] = {}
        memberships = Membership.objects.filter(
            role__in=[Role.DEPARTMENT_STAFF, Role.PARTNERSHIP_COORDINATOR], user__is_active=True
        ).select_related("user")
        for m in memberships:
            if m.role == Role.DEPARTMENT_STAFF and m.org_unit_id:
                self.staff.setdefault(m.org_unit_id, []).append(m.user)
            elif m.role == Role.PARTNERSHIP_COORDINATOR and m.partnership_id:
                self.coordinators.setdefault(m.partnership_id, []).append(m.user)

    def for_task(self, task: Task) -> list[User]:
        people = [task.responsible] if task.responsible else []
        for tu in task.task_units.all():
            if tu.role == TaskUnit.Role.LEAD:
                people += self.staff.get(tu.unit_id, [])
        return _unique(people)

    def coordinators_of(self, task: Task) -> list[User]:
        return _unique(self.coordinators.get(task.agreement.partnership_id, []))


def _unique(users: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.pk, user)
    return list(seen.values())


def reason_for(task: Task, today: date, rules: services.Rules, dues: list[Milestone]) -> str:
    """Why a task is amber or red, in one sentence for the person."""
    if task.deadline < today:
        return _("The deadline %(date)s has passed.") % {"date": _day(task.deadline)}
    late = [m for m in dues if m.due_date < today]
    if late:
        return _("Milestone “%(title)s” was due on %(date)s.") % {
            "title": late[0].title,
            "date": _day(late[0].due_date),
        }
    horizon = today + timedelta(days=rules.amber_days_before_due)
    if task.deadline <= horizon:
        return _("The deadline is %(date)s.") % {"date": _day(task.deadline)}
    soon = [m for m in dues if m.due_date <= horizon]
    if soon:
        return _("Milestone “%(title)s” is due on %(date)s.") % {
            "title": soon[0].title,
            "date": _day(soon[0].due_date),
        }
    last = task.last_accepted_report_on
    if last:
        return _("No progress report has been accepted since %(date)s.") % {"date": _day(last)}
    return _("No progress report has been accepted since the start on %(date)s.") % {
        "date": _day(task.start_date)
    }


def _light_label(light: str) -> str:
    return str(Task.Light(light).label)


def _status_label(status: str) -> str:
    return str(Task.Status(status).label)


def open_tasks():
    return (
        Task.objects.exclude(stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED])
        .exclude(agreement__status=AnnualAgreement.Status.DRAFT)
        .select_related("agreement__partnership", "responsible")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.filter(done_on__isnull=True)),
            Prefetch("task_units", queryset=TaskUnit.objects.order_by("pk")),
        )
        .order_by("pk")
    )


def notify_turn(task: Task, light: str, today: date, reason: str, people: People) -> int:
    if light == Task.Light.RED:
        title = _("Task %(code)s is overdue: %(title)s")
    else:
        title = _("Task %(code)s needs attention: %(title)s")
    title = title % {"code": task.code, "title": task.title}
    sent = 0
    for user in people.for_task(task):
        note = notify(
            user,
            key=f"conference.task.{task.pk}.{light}.{today:%Y%m%d}",
            title=title,
            body=reason,
            url=_task_url(task),
        )
        sent += note is not None
    return sent


def _escalate(task: Task, today: date, reason: str, people: People, turned: bool) -> bool:
    """An overdue task goes on the issue list for the next meeting and to both coordinators.

    Once per overdue spell: when it turns red, or when it is red and was never escalated;
    never while an issue about it is still open.
    """
    issues = task.issues.all()
    if issues.exclude(status=CoordinationIssue.Status.RESOLVED).exists():
        return False
    if not turned and issues.exists():
        return False
    title = _("Overdue task %(code)s: %(title)s") % {"code": task.code, "title": task.title}
    try:
        with transaction.atomic():
            CoordinationIssue.objects.create(
                partnership=task.agreement.partnership,
                title=title[:200],
                description=reason,
                task=task,
                raised_on=today,
            )
    except IntegrityError:  # a concurrent run escalated it first
        return False
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.ESCALATED, note=reason)
    for user in people.coordinators_of(task):
        notify(
            user,
            key=f"conference.escalated.{task.pk}.{today:%Y%m%d}",
            title=_("Escalated to the next joint conference: %(title)s") % {"title": title},
            body=reason,
            url=_issue_url() or _task_url(task),
        )
    return True


def run_daily(today: date) -> DailyResult:
    """Apply the traffic-light rules to every open task on ``today`` (Asia/Shanghai),
    notify, escalate overdue tasks, then e-mail the day's digests."""
    result = DailyResult()
    people = People()
    rules_by_programme: dict[int, services.Rules] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for task in open_tasks().iterator(chunk_size=500):
            partnership = task.agreement.partnership
            if partnership.programme_id not in rules_by_programme:
                rules_by_programme[partnership.programme_id] = services.rules_for(partnership)
            rules = rules_by_programme[partnership.programme_id]
            dues = list(task.milestones.all())
            light, status = services.light_of(task, today, rules, [m.due_date for m in dues])
            with transaction.atomic():
                turned = light != task.light
                if turned or status != task.status:
                    notes = []
                    if turned:
                        notes.append(f"{_light_label(task.light)} → {_light_label(light)}")
                    if status != task.status:
                        notes.append(f"{_status_label(task.status)} → {_status_label(status)}")
                    task.light, task.status = light, status
                    task.save(update_fields=["light", "status"])
                    TaskEvent.objects.create(
                        task=task, kind=TaskEvent.Kind.LIGHT_CHANGED, note="; ".join(notes)
                    )
                    result.changed += 1
                if light == Task.Light.GREEN:
                    continue
                reason = reason_for(task, today, rules, dues)
                if turned:
                    result.notifications += notify_turn(task, light, today, reason, people)
                if light == Task.Light.RED:
                    result.escalated += _escalate(task, today, reason, people, turned)
    result.digests = send_digests(today)
    return result


# --- Background import of a large task list ---------------------------------------------


@db_task()
def import_job(
    token: str, data: bytes, language: str, remote_addr: str | None, cid: str | None
) -> None:
    """Import a large task list (``imports.run_job``) in the uploader's language, with the
    audit entries attributed to the uploader, from their address, under the correlation id
    of the upload request."""
    state = imports.peek_job(token)
    actor = User.objects.filter(pk=state["user"]).first() if state else None
    # In a worker no request tells auditlog who acts; run in the request itself (huey's
    # immediate mode) the request's own context already does.
    in_request = current_request.get() is not None
    audit = nullcontext() if in_request else set_actor(actor, remote_addr=remote_addr)
    cid_token = correlation_id.set(cid if cid else correlation_id.get())
    try:
        with translation.override(language), audit:
            imports.run_job(token, data)
    finally:
        correlation_id.reset(cid_token)


def start_import(request, agreement: AnnualAgreement, name: str, data: bytes, rows: int) -> str:
    """Queue the import of an uploaded file for the requesting coordinator; its token."""
    token = imports.new_job(request.user, agreement, name, rows)
    import_job(
        token,
        data,
        translation.get_language() or settings.LANGUAGE_CODE,
        client_ip(request),
        get_cid(),
    )
    return token
