"""The daily pairing job: remind pairs that have not met yet, escalate missed periods.

``run_daily(today)`` does the work for one day (a date in Asia/Shanghai) and is what the
tests and ``xietong pairing daily`` call; the huey task runs it at 01:00 Shanghai time.

- Reminder: from the reminder day of the month (``PairingSettings.reminder_day``, else
  ``XIETONG_PAIRING_REMINDER_DAY``, 20 by default), in the last month of a period, a pair
  whose period is still ``not_yet`` (no contact recorded, confirmed or not) is reminded:
  the persons in charge and the staff of both departments.
- Escalation: when a period has ended ``missed``, the partnership coordinators of both
  sides are told (on the first run after the period ended, normally the 1st).

Each is sent once per pair and period (``ReminderLog``, unique), so running the job twice,
or a second worker running it at the same time, sends nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_periodic_task

from xietong.conference.tasks import at_one_local
from xietong.core.notifications import notify

from . import compliance, services
from .models import DepartmentPair, PairingSettings, ReminderLog, WorkContact


@db_periodic_task(at_one_local)
def pairing_daily_job() -> None:
    run_daily(timezone.localdate())


@dataclass
class DailyResult:
    reminded: int = 0
    escalated: int = 0
    notifications: int = 0


def _url(name: str, *args, query: str = "") -> str:
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:  # the pairing pages are not mounted (yet)
        return ""


def _month_label(period: compliance.Period) -> str:
    first = formats.date_format(period.start, "YEAR_MONTH_FORMAT")
    if period.months == 1:
        return first
    return f"{first} – {formats.date_format(period.last_month, 'YEAR_MONTH_FORMAT')}"


def _log_once(pair: DepartmentPair, period: compliance.Period, kind: str) -> ReminderLog | None:
    """The log row for (pair, period, kind) if this run is the first to write it."""
    if ReminderLog.objects.filter(pair=pair, period=period.key, kind=kind).exists():
        return None
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(pair=pair, period=period.key, kind=kind)
    except IntegrityError:  # a concurrent run logged it first
        return None


def _remind(pair: DepartmentPair, period: compliance.Period) -> int | None:
    """Notify both departments of the pair; None if this period was already reminded."""
    log = _log_once(pair, period, ReminderLog.Kind.REMINDER)
    if log is None:
        return None
    people = {}
    for side in ("developed", "partner"):
        for person in services.people_of_side(pair, side):
            people.setdefault(person.pk, person)
    title = _("No work contact yet: %(pair)s, %(period)s") % {
        "pair": pair,
        "period": _month_label(period),
    }
    body = _(
        "The pair has not recorded a work contact for %(period)s. Hold one by %(date)s (field "
        "research, work symposium or video meeting) and record it."
    ) % {"period": _month_label(period), "date": formats.date_format(period.end, "DATE_FORMAT")}
    sent = 0
    for person in people.values():
        note = notify(
            person,
            key=f"pairing.reminder.{pair.pk}.{period.key}",
            title=title,
            body=body,
            url=_url("pairing:pair_detail", pair.pk),
        )
        sent += note is not None
    log.recipients = sent
    log.save(update_fields=["recipients"])
    return sent


def _escalate(pair: DepartmentPair, period: compliance.Period) -> int | None:
    """Notify the partnership's coordinators; None if this period was already escalated."""
    log = _log_once(pair, period, ReminderLog.Kind.ESCALATION)
    if log is None:
        return None
    title = _("Work contact missed: %(pair)s, %(period)s") % {
        "pair": pair,
        "period": _month_label(period),
    }
    body = _(
        "The departments %(developed)s and %(partner)s held no work contact in %(period)s."
    ) % {
        "developed": pair.developed_unit,
        "partner": pair.partner_unit,
        "period": _month_label(period),
    }
    sent = 0
    for person in services.coordinators_of(pair.partnership).order_by("pk"):
        note = notify(
            person,
            key=f"pairing.escalation.{pair.pk}.{period.key}",
            title=title,
            body=body,
            url=_url("pairing:compliance", query=f"?partnership={pair.partnership_id}"),
        )
        sent += note is not None
    log.recipients = sent
    log.save(update_fields=["recipients"])
    return sent


def run_daily(today: date) -> DailyResult:
    """Remind and escalate for ``today`` (a date in Asia/Shanghai); idempotent."""
    result = DailyResult()
    reminder_days = dict(PairingSettings.objects.values_list("partnership_id", "reminder_day"))
    default_day = settings.PAIRING_REMINDER_DAY
    # Pairs alive today, or alive during the period that just ended (for escalation).
    horizon = today - timedelta(days=93)
    pairs = (
        DepartmentPair.objects.filter(started_on__lte=today)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=horizon))
        .select_related(
            "partnership",
            "developed_unit",
            "partner_unit",
            "developed_lead",
            "partner_lead",
        )
        .order_by("pk")
    )
    with translation.override(settings.LANGUAGE_CODE):
        for pair in pairs.iterator(chunk_size=500):
            rhythm = compliance.Rhythm.of(pair)
            current = compliance.period_of(today, rhythm.months)
            previous = current.previous()
            contacts = list(
                pair.contacts.filter(held_on__gte=previous.start, held_on__lte=current.end)
                .exclude(status=WorkContact.Status.RETURNED)
                .values_list("held_on", "status")
            )
            day = reminder_days.get(pair.partnership_id, default_day)
            if (
                today.day >= day
                and compliance.month_start(today) == current.last_month
                and compliance.period_status(rhythm, current, contacts, today) == compliance.NOT_YET
            ):
                sent = _remind(pair, current)
                if sent is not None:
                    result.reminded += 1
                    result.notifications += sent
            if compliance.period_status(rhythm, previous, contacts, today) == compliance.MISSED:
                sent = _escalate(pair, previous)
                if sent is not None:
                    result.escalated += 1
                    result.notifications += sent
    return result
