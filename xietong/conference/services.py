"""Every write and rule of the joint conference and its task list.

Each function takes the acting user first, checks the rule and the user's right, writes in
one transaction and leaves a time-stamped TaskEvent where a task moves (the audit log
records the row changes). Permission failures raise PermissionDenied; rule failures raise
ValidationError with a message for the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.core import scope
from xietong.core.models import Membership, OrgUnit, Partnership, Role, User

from .models import (
    AnnualAgreement,
    CoordinationIssue,
    ExtensionRequest,
    KeyTask,
    LightRules,
    Milestone,
    ProgressReport,
    Resolution,
    Target,
    TargetActual,
    Task,
    TaskEvent,
    TaskUnit,
)
from .versions import lock

BULK_BATCH = 500

# --- Who may do what ------------------------------------------------------------------


def can_coordinate(user: User, partnership: Partnership) -> bool:
    """Coordinators of the pair (either side) and of its programme run its conference.

    Not the system administrator as such: the administrator manages accounts, roles and
    master data (``core.scope``) and reads the conference for support, but the business
    acts of the conference (tasks, reviews, agreements, meetings, plans) belong to the
    coordinators and the units. An administrator who also holds a coordinator role
    coordinates through that role.
    """
    g = scope.grants(user)
    return (
        partnership.pk in g.coordinate_partnerships
        or partnership.programme_id in g.manage_programmes
    )


def staff_units(user: User, task: Task, role: str | None = None) -> list[TaskUnit]:
    """The task's units (lead units by default) in which the user works."""
    units = scope.grants(user).units
    qs = task.task_units.filter(unit__in=units).select_related("unit")
    return list(qs.filter(role=role or TaskUnit.Role.LEAD))


def can_report(user: User, task: Task) -> bool:
    return bool(staff_units(user, task)) or can_coordinate(user, task.partnership)


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied(_("Your role does not allow this."))


def _event(task: Task, kind: str, user: User | None, note: str = "") -> TaskEvent:
    return TaskEvent.objects.create(task=task, kind=kind, actor=user, note=note)


def permission(user: User, action: str, obj=None, **ctx) -> bool:
    """``core.scope.can`` for conference objects: coordinators write, others read."""
    if action in ("list", "view"):
        return True
    partnership = ctx.get("partnership")
    if obj is not None:
        partnership = _partnership_of(obj)
    if partnership is None:
        g = scope.grants(user)
        return bool(g.coordinate_partnerships or g.manage_programmes)
    return can_coordinate(user, partnership)


# Roles that act in the conference besides coordinating: they raise issues, report.
ACTING_ROLES = (
    Role.PROGRAMME_COORDINATOR,
    Role.PARTNERSHIP_COORDINATOR,
    Role.DEPARTMENT_STAFF,
    Role.SECTOR_GROUP_MEMBER,
)


def issue_partnerships(user: User) -> QuerySet[Partnership]:
    """The visible pairs in which the user may raise a coordination issue: those of the
    user's acting roles (coordinators, department staff, sector groups). A leader reads and
    never writes; the administrator, the auditor and enterprise users raise none."""
    q = Q(pk__in=[])
    for m in Membership.objects.filter(user=user, role__in=ACTING_ROLES).select_related("org_unit"):
        if m.role == Role.PROGRAMME_COORDINATOR and m.programme_id:
            q |= Q(programme_id=m.programme_id)
        elif m.role == Role.DEPARTMENT_STAFF and m.org_unit_id:
            region = m.org_unit.region_id
            q |= Q(developed_side_id=region) | Q(partner_side_id=region)
        elif m.partnership_id:
            q |= Q(pk=m.partnership_id)
    return scope.internal_partnerships(user).filter(q)


class SeparationOfDuties(PermissionDenied):
    """The person who did an act of the supervision cycle may not also approve it."""


OWN_REPORT = gettext_lazy(
    "You submitted this report yourself, so you cannot accept or return it: another "
    "coordinator of the pair or of the programme reviews it."
)
OWN_CLAIM = gettext_lazy(
    "You claimed this task complete yourself, so you cannot review it: another coordinator "
    "of the pair or of the programme closes or returns it."
)


def _partnership_of(obj) -> Partnership:
    if isinstance(obj, Task):
        return obj.agreement.partnership
    if isinstance(obj, Resolution):
        return obj.meeting.partnership
    if isinstance(obj, ProgressReport | ExtensionRequest):
        return obj.task.agreement.partnership
    if hasattr(obj, "plan") and not hasattr(obj, "partnership"):
        return obj.plan.partnership
    return obj.partnership


# --- Meetings and resolutions ---------------------------------------------------------


def next_meeting_number(partnership: Partnership) -> int:
    last = partnership.meetings.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def resolution_to_tasks(
    user: User, resolution: Resolution, *, agreement: AnnualAgreement, tasks: list[dict]
) -> list[Task]:
    """Turn a resolution into one or more tasks of an agreement of the same pair."""
    partnership = resolution.meeting.partnership
    _require(can_coordinate(user, partnership))
    if agreement.partnership_id != partnership.pk:
        raise ValidationError(_("The agreement belongs to another partnership."))
    specs = []
    for data in tasks:
        values = {**data, "resolution": resolution}
        for name in ("support_units", "working_group", "milestones", "targets"):
            values[name] = list(values.get(name) or [])
        specs.append(NewTask(**values))
    try:
        return create_tasks(user, agreement, specs)
    except InvalidTasks as exc:
        # Several tasks come in one form: name the task of each message.
        raise ValidationError(
            [
                f"{specs[index].code}: {message}"
                for index, errors in exc.by_task.items()
                for messages in errors.values()
                for message in messages
            ]
        ) from exc


@transaction.atomic
def raise_issue(
    user: User, partnership: Partnership, *, title: str, description: str = "", unit=None
) -> CoordinationIssue:
    """A coordinator, unit or sector group of the pair raises a major problem for the next
    meeting (``issue_partnerships``); a leader, the administrator, the auditor and
    enterprise users may not."""
    _require(issue_partnerships(user).filter(pk=partnership.pk).exists())
    return CoordinationIssue.objects.create(
        partnership=partnership, title=title, description=description, raised_by=unit
    )


# --- Tasks ----------------------------------------------------------------------------


def pair_members(partnership: Partnership) -> QuerySet[User]:
    """Active people with an internal role in the pair, on either side: its coordinators,
    sector groups and leaders, the staff of its units, and the programme's coordinators
    and leaders. Only they may be a task's responsible person or in its working group."""
    memberships = Membership.objects.filter(
        Q(partnership=partnership)
        | Q(org_unit__region_id__in=partnership.region_ids)
        | Q(
            programme_id=partnership.programme_id,
            partnership__isnull=True,
            role__in=[Role.PROGRAMME_COORDINATOR, Role.LEADER],
        )
    ).exclude(role__in=[Role.ENTERPRISE_USER, Role.SECURITY_AUDITOR])
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)


def _member_ids(partnership: Partnership, people: Iterable[User | None]) -> set[int]:
    """Which of ``people`` are members of the pair (one query, none for nobody)."""
    ids = {person.pk for person in people if person is not None}
    if not ids:
        return set()
    return set(pair_members(partnership).filter(pk__in=ids).values_list("pk", flat=True))


def _not_a_member(person: User) -> str:
    return _(
        "%(person)s is not a member of either side of this partnership; choose a person of "
        "the pair."
    ) % {"person": person.display_name}


def _rule_errors(
    partnership: Partnership,
    *,
    start_date: date,
    deadline: date,
    lead_units: list[OrgUnit],
    support_units: list[OrgUnit],
    responsible: User | None,
    working_group: list[User],
    members: set[int],
) -> dict[str, list[str]]:
    """The rules every task keeps, as messages by field: lead units, units and people of
    the pair (``members`` holds the ids of the people allowed), the deadline after the
    start."""
    errors: dict[str, list[str]] = {}
    sides = partnership.region_ids
    if not lead_units:
        errors.setdefault("lead_units", []).append(_("A task needs at least one lead unit."))
    for name, units in (("lead_units", lead_units), ("support_units", support_units)):
        for unit in units:
            if unit.region_id not in sides:
                errors.setdefault(name, []).append(
                    _("%(unit)s is not a unit of either side of this partnership.") % {"unit": unit}
                )
    if deadline < start_date:
        errors.setdefault("deadline", []).append(_("The deadline cannot be before the start date."))
    if responsible is not None and responsible.pk not in members:
        errors.setdefault("responsible", []).append(_not_a_member(responsible))
    for person in working_group:
        if person.pk not in members:
            errors.setdefault("working_group", []).append(_not_a_member(person))
    return errors


@dataclass
class NewTask:
    """What a coordinator gives to assign one task (``create_task`` / ``create_tasks``)."""

    code: str
    title: str
    area: str
    kind: str
    start_date: date
    deadline: date
    lead_units: list[OrgUnit]
    support_units: list[OrgUnit] = field(default_factory=list)
    responsible: User | None = None
    working_group: list[User] = field(default_factory=list)
    content: str = ""
    priority: str = Task.Priority.NORMAL
    cadence: str = Task.Cadence.MONTHLY
    key_task: KeyTask | None = None
    resolution: Resolution | None = None
    carried_from: Task | None = None
    milestones: list[tuple[str, date]] = field(default_factory=list)
    targets: list[tuple[str, Decimal, str]] = field(default_factory=list)


class InvalidTasks(ValidationError):
    """Tasks given to ``create_tasks`` break a rule. ``by_task`` maps the index of each
    such task to its messages by field; the error itself carries the first task's, so that
    a form or the API shows them on the fields of a single task."""

    def __init__(self, by_task: dict[int, dict[str, list[str]]]):
        self.by_task = by_task
        super().__init__(next(iter(by_task.values())))


@transaction.atomic
def create_task(
    user: User,
    *,
    agreement: AnnualAgreement,
    code: str,
    title: str,
    area: str,
    kind: str,
    start_date: date,
    deadline: date,
    lead_units: list[OrgUnit],
    support_units: list[OrgUnit] | None = None,
    responsible: User | None = None,
    working_group: list[User] | None = None,
    content: str = "",
    priority: str = Task.Priority.NORMAL,
    cadence: str = Task.Cadence.MONTHLY,
    key_task=None,
    resolution: Resolution | None = None,
    carried_from: Task | None = None,
    milestones: list[tuple[str, date]] | None = None,
    targets: list[tuple[str, Decimal, str]] | None = None,
) -> Task:
    """Assign a task to lead units of the pair; it starts in the 'assigned' stage. Its
    units, responsible person and working group must belong to the pair (either side)."""
    spec = NewTask(
        code=code,
        title=title,
        area=area,
        kind=kind,
        start_date=start_date,
        deadline=deadline,
        lead_units=list(lead_units),
        support_units=list(support_units or []),
        responsible=responsible,
        working_group=list(working_group or []),
        content=content,
        priority=priority,
        cadence=cadence,
        key_task=key_task,
        resolution=resolution,
        carried_from=carried_from,
        milestones=list(milestones or []),
        targets=list(targets or []),
    )
    return create_tasks(user, agreement, [spec])[0]


@transaction.atomic
def create_tasks(user: User, agreement: AnnualAgreement, specs: list[NewTask]) -> list[Task]:
    """Assign many tasks at once, by the rules of ``create_task``: every task is checked
    before anything is written (``InvalidTasks`` names each bad one), then all are written
    in a few bulk statements with their units, working groups, milestones, targets and
    'assigned' events, and the audit log gets the create entries a save would have left."""
    partnership = agreement.partnership
    _require(can_coordinate(user, partnership))
    members = _member_ids(
        partnership, [p for s in specs for p in (s.responsible, *s.working_group)]
    )
    taken = set(
        agreement.tasks.filter(code__in=[s.code for s in specs]).values_list("code", flat=True)
    )
    by_task: dict[int, dict[str, list[str]]] = {}
    for index, spec in enumerate(specs):
        errors = _rule_errors(
            partnership,
            start_date=spec.start_date,
            deadline=spec.deadline,
            lead_units=spec.lead_units,
            support_units=spec.support_units,
            responsible=spec.responsible,
            working_group=spec.working_group,
            members=members,
        )
        if spec.code in taken:
            errors.setdefault("code", []).append(
                _("Another task of this agreement already has this code.")
            )
        taken.add(spec.code)
        if errors:
            by_task[index] = errors
    if by_task:
        raise InvalidTasks(by_task)

    tasks = [
        Task(
            agreement=agreement,
            code=spec.code,
            title=spec.title,
            content=spec.content,
            area=spec.area,
            kind=spec.kind,
            start_date=spec.start_date,
            deadline=spec.deadline,
            baseline_deadline=spec.deadline,
            responsible=spec.responsible,
            priority=spec.priority,
            cadence=spec.cadence,
            key_task=spec.key_task,
            resolution=spec.resolution,
            carried_from=spec.carried_from,
        )
        for spec in specs
    ]
    Task.objects.bulk_create(tasks, batch_size=BULK_BATCH)
    units, group, milestones, targets, events = [], [], [], [], []
    Member = Task.working_group.through
    for task, spec in zip(tasks, specs, strict=True):
        roles = {u.pk: (u, TaskUnit.Role.SUPPORT) for u in spec.support_units}
        roles.update({u.pk: (u, TaskUnit.Role.LEAD) for u in spec.lead_units})
        units += [TaskUnit(task=task, unit=unit, role=role) for unit, role in roles.values()]
        people = {person.pk for person in spec.working_group}
        group += [Member(task_id=task.pk, user_id=pk) for pk in people]
        milestones += [Milestone(task=task, title=t, due_date=d) for t, d in spec.milestones]
        targets += [
            Target(task=task, name=name, target_value=value, measure=measure)
            for name, value, measure in spec.targets
        ]
        events.append(TaskEvent(task=task, kind=TaskEvent.Kind.ASSIGNED, actor=user))
    for model, rows in (
        (TaskUnit, units),
        (Member, group),
        (Milestone, milestones),
        (Target, targets),
        (TaskEvent, events),
    ):
        model.objects.bulk_create(rows, batch_size=BULK_BATCH)
    audit_created(user, [*tasks, *units, *milestones, *targets])
    return tasks


def audit_created(user: User | None, objects: list[Model]) -> None:
    """The 'create' entries django-auditlog writes from ``post_save``, for rows written
    with ``bulk_create`` (which sends no signals): the same changes and object text, the
    correlation id of the request (or job), and the actor and address filled in by the
    receivers that run before a log entry is saved; then one bulk insert."""
    from auditlog.cid import get_cid
    from auditlog.context import auditlog_disabled
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry
    from auditlog.registry import auditlog
    from auditlog.signals import pre_log

    if auditlog_disabled.get() or not objects:
        return
    cid = get_cid()
    json_changes = getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False)
    entries = []
    for obj in objects:
        model = type(obj)
        if not auditlog.contains(model):
            continue
        verdicts = pre_log.send(model, instance=obj, action=LogEntry.Action.CREATE)
        if any(verdict is False for _receiver, verdict in verdicts):
            continue
        entry = LogEntry(
            content_type=ContentType.objects.get_for_model(model),
            object_pk=str(obj.pk),
            object_id=obj.pk,
            object_repr=smart_str(obj),
            action=LogEntry.Action.CREATE,
            changes=model_instance_diff(None, obj, use_json_for_changes=json_changes),
            cid=cid,
        )
        if user is not None:
            entry.actor, entry.actor_email = user, user.email or None
        pre_save.send(LogEntry, instance=entry, raw=False, using="default", update_fields=None)
        entries.append(entry)
    LogEntry.objects.bulk_create(entries, batch_size=BULK_BATCH)


def set_units(task: Task, lead_units: list[OrgUnit], support_units: list[OrgUnit]) -> None:
    """Replace the task's units, keeping the acknowledgements of units that stay."""
    units_by_id = {u.pk: u for u in [*support_units, *lead_units]}
    wanted = {u.pk: TaskUnit.Role.SUPPORT for u in support_units}
    wanted.update({u.pk: TaskUnit.Role.LEAD for u in lead_units})
    task.task_units.exclude(unit_id__in=wanted).delete()
    existing = {tu.unit_id: tu for tu in task.task_units.all()}
    for unit_id, role in wanted.items():
        if unit_id in existing:
            if existing[unit_id].role != role:
                existing[unit_id].role = role
                existing[unit_id].save(update_fields=["role"])
        else:
            TaskUnit.objects.create(task=task, unit=units_by_id[unit_id], role=role)


@transaction.atomic
def acknowledge(user: User, task: Task) -> list[TaskUnit]:
    """签收: the user's lead units take the task on; when all have, it is acknowledged."""
    mine = [tu for tu in staff_units(user, task) if tu.acknowledged_at is None]
    _require(bool(mine))
    now = timezone.now()
    for tu in mine:
        tu.acknowledged_at, tu.acknowledged_by = now, user
        tu.save(update_fields=["acknowledged_at", "acknowledged_by"])
        _event(task, TaskEvent.Kind.ACKNOWLEDGED, user, str(tu.unit))
    pending = task.task_units.filter(role=TaskUnit.Role.LEAD, acknowledged_at__isnull=True)
    if task.stage == Task.Stage.ASSIGNED and not pending.exists():
        task.stage = Task.Stage.ACKNOWLEDGED
        task.save(update_fields=["stage"])
    return mine


@transaction.atomic
def submit_report(
    user: User,
    task: Task,
    *,
    period: str,
    narrative: str,
    percent: int,
    actuals: dict[int, Decimal] | None = None,
) -> ProgressReport:
    """A lead unit reports progress; the task is then in progress."""
    units = staff_units(user, task)
    _require(bool(units) or can_coordinate(user, task.partnership))
    if not task.is_open or task.stage == Task.Stage.CLAIMED:
        raise ValidationError(_("This task takes no reports in its current stage."))
    report = ProgressReport.objects.create(
        task=task,
        period=period,
        narrative=narrative,
        percent=percent,
        unit=units[0].unit if units else None,
        submitted_by=user,
    )
    targets = {t.pk: t for t in task.targets.all()}
    for target_id, value in (actuals or {}).items():
        if target_id not in targets:
            raise ValidationError(_("Unknown target."))
        TargetActual.objects.create(report=report, target_id=target_id, value=value)
    if task.stage in (Task.Stage.ASSIGNED, Task.Stage.ACKNOWLEDGED):
        task.stage = Task.Stage.IN_PROGRESS
        fields = ["stage"]
        if task.status == Task.Status.NOT_STARTED:
            task.status = Task.Status.IN_PROGRESS  # the daily job may still turn it lagging
            fields.append("status")
        task.save(update_fields=fields)
    _event(task, TaskEvent.Kind.REPORTED, user, period)
    return report


@transaction.atomic
def review_report(user: User, report: ProgressReport, *, accept: bool, comment: str = "") -> None:
    """The coordinator accepts a report (its figures become the task's) or returns it."""
    task = report.task
    _require(can_coordinate(user, task.partnership))
    if report.submitted_by_id == user.pk:
        raise SeparationOfDuties(str(OWN_REPORT))
    if report.status != ProgressReport.Status.SUBMITTED:
        raise ValidationError(_("This report has already been reviewed."))
    if not accept and not comment.strip():
        raise ValidationError(_("Say why the report is returned."))
    report.status = ProgressReport.Status.ACCEPTED if accept else ProgressReport.Status.RETURNED
    report.reviewed_by, report.reviewed_at, report.review_comment = user, timezone.now(), comment
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    if accept:
        task.percent = report.percent
        task.last_accepted_report_on = timezone.localdate()
        task.save(update_fields=["percent", "last_accepted_report_on"])
        for actual in report.actuals.all():
            Target.objects.filter(pk=actual.target_id).update(actual=actual.value)
        _event(task, TaskEvent.Kind.REPORT_ACCEPTED, user, comment)
    else:
        _event(task, TaskEvent.Kind.REPORT_RETURNED, user, comment)


@transaction.atomic
def claim_completion(user: User, task: Task, *, evidence: str) -> None:
    """办结: the lead unit says the task is done, with evidence; the coordinator reviews."""
    _require(bool(staff_units(user, task)) or can_coordinate(user, task.partnership))
    if not task.is_open or task.stage == Task.Stage.CLAIMED:
        raise ValidationError(_("This task cannot be claimed complete in its current stage."))
    if not evidence.strip():
        raise ValidationError(_("Describe the evidence of completion."))
    task.stage = Task.Stage.CLAIMED
    task.save(update_fields=["stage"])
    _event(task, TaskEvent.Kind.CLAIMED, user, evidence)


def claimed_by(task: Task) -> int | None:
    """The id of the person whose completion claim (办结) the task is waiting on."""
    if task.stage != Task.Stage.CLAIMED:
        return None
    event = task.events.filter(kind=TaskEvent.Kind.CLAIMED).order_by("-at", "-pk").first()
    return event.actor_id if event else None


@transaction.atomic
def review_completion(user: User, task: Task, *, accept: bool, comment: str = "") -> None:
    """复核: the coordinator closes (销号) a claimed task, or returns it to work; not the
    person who claimed it (separation of duties)."""
    _require(can_coordinate(user, task.partnership))
    if task.stage != Task.Stage.CLAIMED:
        raise ValidationError(_("Only a task claimed complete can be reviewed."))
    if claimed_by(task) == user.pk:
        raise SeparationOfDuties(str(OWN_CLAIM))
    if accept:
        task.stage, task.status, task.light = Task.Stage.CLOSED, Task.Status.COMPLETED, "green"
        task.percent, task.closed_on = 100, timezone.localdate()
        task.save(update_fields=["stage", "status", "light", "percent", "closed_on"])
        _event(task, TaskEvent.Kind.CLOSED, user, comment)
    else:
        if not comment.strip():
            raise ValidationError(_("Say why the task is returned."))
        task.stage = Task.Stage.IN_PROGRESS
        task.save(update_fields=["stage"])
        _event(task, TaskEvent.Kind.RETURNED, user, comment)


@transaction.atomic
def request_extension(
    user: User, task: Task, *, new_deadline: date, reason: str
) -> ExtensionRequest:
    """延期申请 by the lead unit; the original deadline stays as the baseline."""
    _require(bool(staff_units(user, task)) or can_coordinate(user, task.partnership))
    if not task.is_open:
        raise ValidationError(_("A finished task cannot be extended."))
    if new_deadline <= task.deadline:
        raise ValidationError(_("The new deadline must be later than the current one."))
    if task.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise ValidationError(_("An extension request for this task is already pending."))
    ext = ExtensionRequest.objects.create(
        task=task, new_deadline=new_deadline, reason=reason, requested_by=user
    )
    _event(task, TaskEvent.Kind.EXTENSION_REQUESTED, user, f"{new_deadline:%Y-%m-%d} {reason}")
    return ext


@transaction.atomic
def decide_extension(
    user: User, ext: ExtensionRequest, *, approve: bool, comment: str = ""
) -> None:
    task = ext.task
    _require(can_coordinate(user, task.partnership))
    if ext.status != ExtensionRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    ext.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
    ext.decided_by, ext.decided_at, ext.comment = user, timezone.now(), comment
    ext.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    if approve:
        task.deadline = ext.new_deadline
        task.save(update_fields=["deadline"])
        _event(task, TaskEvent.Kind.EXTENSION_APPROVED, user, comment)
    else:
        _event(task, TaskEvent.Kind.EXTENSION_REJECTED, user, comment)


@transaction.atomic
def terminate(user: User, task: Task, *, reason: str) -> None:
    _require(can_coordinate(user, task.partnership))
    if not reason.strip():
        raise ValidationError(_("A terminated task needs a reason."))
    task.stage, task.status = Task.Stage.TERMINATED, Task.Status.TERMINATED
    task.termination_reason = reason
    task.save(update_fields=["stage", "status", "termination_reason"])
    _event(task, TaskEvent.Kind.TERMINATED, user, reason)


# --- Traffic lights -------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    amber_days_before_due: int = 3
    amber_days_without_report: int = 35


def rules_for(partnership: Partnership) -> Rules:
    row = LightRules.objects.filter(programme_id=partnership.programme_id).first()
    if row is None:
        return Rules()
    return Rules(row.amber_days_before_due, row.amber_days_without_report)


def light_of(task: Task, today: date, rules: Rules, milestone_dues: list[date]) -> tuple[str, str]:
    """The (light, status) a task should show on ``today`` (a date in Asia/Shanghai).

    Red when the deadline has passed or a milestone is overdue; amber when the deadline or
    a milestone falls within ``amber_days_before_due`` days, or no report has been accepted
    for ``amber_days_without_report`` days (counted from the start if none ever was);
    green otherwise. Closed and terminated tasks keep their final status.
    """
    if task.stage == Task.Stage.CLOSED:
        return Task.Light.GREEN, Task.Status.COMPLETED
    if task.stage == Task.Stage.TERMINATED:
        return task.light, Task.Status.TERMINATED
    dues = [task.deadline, *milestone_dues]
    started = task.stage not in (Task.Stage.ASSIGNED, Task.Stage.ACKNOWLEDGED)
    progress = Task.Status.IN_PROGRESS if started else Task.Status.NOT_STARTED
    if any(due < today for due in dues):
        return Task.Light.RED, Task.Status.LAGGING
    horizon = today + timedelta(days=rules.amber_days_before_due)
    last = task.last_accepted_report_on or task.start_date
    silent = today >= task.start_date and (today - last).days >= rules.amber_days_without_report
    if any(due <= horizon for due in dues) or silent:
        return Task.Light.AMBER, progress
    return Task.Light.GREEN, progress


# --- Editing a task (appended by the task pages) ----------------------------------------


@transaction.atomic
def update_task(
    user: User,
    task: Task,
    *,
    code: str,
    title: str,
    area: str,
    kind: str,
    start_date: date,
    lead_units: list[OrgUnit],
    support_units: list[OrgUnit] | None = None,
    responsible: User | None = None,
    working_group: list[User] | None = None,
    content: str = "",
    priority: str = Task.Priority.NORMAL,
    cadence: str = Task.Cadence.MONTHLY,
    key_task=None,
    milestones: list[tuple[str, date]] | None = None,
    targets: list[tuple[str, Decimal, str]] | None = None,
    version: str | None = None,
) -> Task:
    """Coordinators edit an open task; the deadline moves only through an extension.

    Units keep their acknowledgements, milestones keep their completion date and targets
    (matched by indicator name) keep their actuals; the baseline deadline is untouched.
    With ``version`` (``versions.version_of`` of the task as the editor loaded it), an
    edit made after someone else's is refused with ``versions.EditConflict``.
    """
    partnership = task.partnership
    _require(can_coordinate(user, partnership))
    task = lock(task, version)
    if not task.is_open:
        raise ValidationError(_("A finished task cannot be edited."))
    working_group = list(working_group or [])
    # People already on the task in the same role stay even if they have since left the
    # pair; only people put in a role now must be members.
    group_now = set(task.working_group.values_list("pk", flat=True))
    new_responsible = responsible if responsible and responsible.pk != task.responsible_id else None
    new_group = [p for p in working_group if p.pk not in group_now]
    members = _member_ids(partnership, [new_responsible, *new_group])
    errors = _rule_errors(
        partnership,
        start_date=start_date,
        deadline=task.deadline,
        lead_units=lead_units,
        support_units=list(support_units or []),
        responsible=new_responsible,
        working_group=new_group,
        members=members,
    )
    if "deadline" in errors:  # the deadline is fixed here: the start date is what moved
        errors["start_date"] = errors.pop("deadline")
    if task.agreement.tasks.filter(code=code).exclude(pk=task.pk).exists():
        errors.setdefault("code", []).append(
            _("Another task of this agreement already has this code.")
        )
    if errors:
        raise ValidationError(errors)
    for name, value in [
        ("code", code),
        ("title", title),
        ("area", area),
        ("kind", kind),
        ("start_date", start_date),
        ("responsible", responsible),
        ("content", content),
        ("priority", priority),
        ("cadence", cadence),
        ("key_task", key_task),
    ]:
        setattr(task, name, value)
    task.save()
    set_units(task, lead_units, support_units or [])
    task.working_group.set(working_group)
    if milestones is not None:
        existing = {(m.title, m.due_date): m for m in task.milestones.all()}
        keep = [existing[key].pk for key in milestones if key in existing]
        task.milestones.exclude(pk__in=keep).delete()
        for name, due in milestones:
            if (name, due) not in existing:
                task.milestones.create(title=name, due_date=due)
    if targets is not None:
        existing_targets = {t.name: t for t in task.targets.all()}
        wanted = {name for name, _value, _measure in targets}
        task.targets.exclude(name__in=wanted).delete()
        for name, value, measure in targets:
            target = existing_targets.get(name)
            if target is None:
                task.targets.create(name=name, target_value=value, measure=measure)
            elif (target.target_value, target.measure) != (value, measure):
                target.target_value, target.measure = value, measure
                target.save(update_fields=["target_value", "measure"])
    return task


# --- Agenda, issues and carry-over (appended by the meeting pages) ----------------------


@transaction.atomic
def add_agenda_item(
    user: User,
    meeting,
    *,
    title: str,
    presenter: str = "",
    issue: CoordinationIssue | None = None,
    order: int | None = None,
):
    """Put an item on a meeting's agenda; an issue put there is marked as on the agenda."""
    _require(can_coordinate(user, meeting.partnership))
    if issue is not None:
        if issue.partnership_id != meeting.partnership_id:
            raise ValidationError(_("The issue belongs to another partnership."))
        if issue.status == CoordinationIssue.Status.RESOLVED:
            raise ValidationError(_("This issue is already resolved."))
        issue.status = CoordinationIssue.Status.ON_AGENDA
        issue.save(update_fields=["status"])
        title = title or issue.title
    if not title.strip():
        raise ValidationError(_("An agenda item needs a title."))
    if order is None:
        last = meeting.agenda_items.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 1
    return meeting.agenda_items.create(order=order, title=title, presenter=presenter, issue=issue)


@transaction.atomic
def remove_agenda_item(user: User, item) -> None:
    """Take an item off the agenda; its issue is open again unless another item holds it."""
    _require(can_coordinate(user, item.meeting.partnership))
    issue = item.issue
    item.delete()
    if (
        issue is not None
        and issue.status == CoordinationIssue.Status.ON_AGENDA
        and not issue.agenda_items.exists()
    ):
        issue.status = CoordinationIssue.Status.OPEN
        issue.save(update_fields=["status"])


@transaction.atomic
def set_issue_status(user: User, issue: CoordinationIssue, status: str) -> None:
    """The coordinators mark an issue resolved, or open it again."""
    _require(can_coordinate(user, issue.partnership))
    if status not in CoordinationIssue.Status.values:
        raise ValidationError(_("Unknown status."))
    issue.status = status
    issue.save(update_fields=["status"])


@transaction.atomic
def carry_over(
    user: User,
    agreement: AnnualAgreement,
    *,
    year: int,
    task_ids: list[int],
    title: str = "",
) -> AnnualAgreement:
    """Draft the agreement of ``year`` from ``agreement``, carrying the chosen open tasks.

    The draft is made once per pair and year (running it again adds to it). Closed and
    terminated tasks are skipped, and so is a task already carried into the draft. Each copy
    links to its original (``carried_from``), which keeps its reports and history; the copy
    starts as a newly assigned task with the original's units, people, percent, open
    milestones and targets (with their actuals), due by the end of ``year`` at the earliest.
    """
    partnership = agreement.partnership
    _require(can_coordinate(user, partnership))
    if year <= agreement.year:
        raise ValidationError(_("The new agreement must be for a later year."))
    target = AnnualAgreement.objects.filter(partnership=partnership, year=year).first()
    if target is None:
        target = AnnualAgreement.objects.create(
            partnership=partnership,
            year=year,
            title=title or agreement.title.replace(str(agreement.year), str(year)),
            status=AnnualAgreement.Status.DRAFT,
            plan=agreement.plan,
            previous=agreement,
        )
    elif target.status != AnnualAgreement.Status.DRAFT:
        raise ValidationError(
            _("The %(year)s agreement is no longer a draft; tasks cannot be carried into it.")
            % {"year": year}
        )
    chosen = (
        agreement.tasks.filter(pk__in=task_ids)
        .exclude(stage__in=[Task.Stage.CLOSED, Task.Stage.TERMINATED])
        .prefetch_related("task_units__unit", "working_group", "milestones", "targets")
    )
    carried = set(target.tasks.values_list("carried_from_id", flat=True))
    members = set(pair_members(partnership).values_list("pk", flat=True))
    codes = set(target.tasks.values_list("code", flat=True))
    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    for task in chosen:
        if task.pk in carried:
            continue
        if task.code in codes:
            raise ValidationError(
                _("The %(year)s agreement already has a task with code %(code)s.")
                % {"year": year, "code": task.code}
            )
        units = list(task.task_units.all())
        copy = create_task(
            user,
            agreement=target,
            code=task.code,
            title=task.title,
            content=task.content,
            area=task.area,
            kind=task.kind,
            start_date=max(task.start_date, first_day),
            deadline=task.deadline if task.deadline >= first_day else last_day,
            lead_units=[tu.unit for tu in units if tu.role == TaskUnit.Role.LEAD],
            support_units=[tu.unit for tu in units if tu.role == TaskUnit.Role.SUPPORT],
            # People who have left the pair since are not carried over.
            responsible=task.responsible if task.responsible_id in members else None,
            working_group=[p for p in task.working_group.all() if p.pk in members],
            priority=task.priority,
            cadence=task.cadence,
            key_task=task.key_task,
            carried_from=task,
            milestones=[(m.title, m.due_date) for m in task.milestones.all() if not m.done_on],
        )
        for old in task.targets.all():
            copy.targets.create(
                name=old.name, target_value=old.target_value, measure=old.measure, actual=old.actual
            )
        if task.percent:
            copy.percent = task.percent
            copy.save(update_fields=["percent"])
        _event(copy, TaskEvent.Kind.CARRIED_OVER, user, f"{agreement.year} · {task.code}")
        _event(task, TaskEvent.Kind.CARRIED_OVER, user, f"→ {year} · {copy.code}")
        codes.add(copy.code)
    return target


@transaction.atomic
def complete_milestone(user: User, milestone, *, done_on: date) -> None:
    """A lead unit (or a coordinator) records that a milestone was reached on ``done_on``."""
    task = milestone.task
    _require(bool(staff_units(user, task)) or can_coordinate(user, task.partnership))
    if not task.is_open:
        raise ValidationError(_("This task is finished."))
    if milestone.done_on is not None:
        raise ValidationError(_("This milestone is already recorded as reached."))
    if done_on > timezone.localdate():
        raise ValidationError(_("A milestone cannot be reached in the future."))
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    _event(task, TaskEvent.Kind.MILESTONE_DONE, user, f"{milestone.title} {done_on:%Y-%m-%d}")
