"""The security auditor's pages: the change log and security events, filtered and exported.

Read-only by construction: the views answer GET (and HEAD) only, and the log models refuse
updates and deletes (core.audit). Only a security auditor who is not also an administrator
gets in; everyone else gets a 403, which the 403 handler records as a security event.
"""

from __future__ import annotations

from datetime import datetime, time

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from . import scope
from .exports import xlsx_response
from .models import SecurityEvent

ACTIONS = {
    str(LogEntry.Action.CREATE): gettext_lazy("Create"),
    str(LogEntry.Action.UPDATE): gettext_lazy("Change"),
    str(LogEntry.Action.DELETE): gettext_lazy("Delete"),
}
EMPTY = "—"


def _require_auditor(request) -> None:
    # Separation of duties: whoever manages accounts and roles does not read the log that
    # records what they did, even if they granted themselves the auditor role.
    if not scope.can_read_audit(request.user):
        raise PermissionDenied(_("Only the security auditor reads the audit log."))


def _date(value: str):
    try:
        return parse_date(value or "")
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return None


def _date_bounds(request):
    start = _date(request.GET.get("from", ""))
    end = _date(request.GET.get("to", ""))
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tz) if start else None,
        datetime.combine(end, time.max, tz) if end else None,
    )


def filtered_changes(request):
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    start, end = _date_bounds(request)
    if start:
        qs = qs.filter(timestamp__gte=start)
    if end:
        qs = qs.filter(timestamp__lte=end)
    if request.GET.get("actor"):
        qs = qs.filter(actor__username__icontains=request.GET["actor"])
    if request.GET.get("model", "").isdigit():
        qs = qs.filter(content_type_id=int(request.GET["model"]))
    if request.GET.get("action") in ACTIONS:
        qs = qs.filter(action=int(request.GET["action"]))
    if request.GET.get("object"):
        qs = qs.filter(object_repr__icontains=request.GET["object"])
    if request.GET.get("ip"):
        qs = qs.filter(remote_addr__startswith=request.GET["ip"].strip())
    return qs


def filtered_events(request):
    qs = SecurityEvent.objects.select_related("user").order_by("-timestamp", "-pk")
    start, end = _date_bounds(request)
    if start:
        qs = qs.filter(timestamp__gte=start)
    if end:
        qs = qs.filter(timestamp__lte=end)
    if request.GET.get("actor"):
        qs = qs.filter(username__icontains=request.GET["actor"])
    if request.GET.get("kind") in SecurityEvent.Kind.values:
        qs = qs.filter(kind=request.GET["kind"])
    if request.GET.get("ip"):
        qs = qs.filter(ip__startswith=request.GET["ip"].strip())
    return qs


class ChangeDescriber:
    """Turns an entry's stored changes into (field label, before, after) for people.

    Field names become their verbose names, choices their labels and foreign keys the
    object they point to (looked up once per export, so a long export stays fast).
    """

    def __init__(self):
        self._objects: dict[tuple[type, str], str] = {}

    def _value(self, field, value) -> str:
        if value is None or value == "None" or value == "":
            return EMPTY
        value = str(value)
        if getattr(field, "choices", None):
            return str(dict((str(k), v) for k, v in field.choices).get(value, value))
        if field is not None and field.is_relation and field.many_to_one:
            key = (field.related_model, value)
            if key not in self._objects:
                try:
                    obj = field.related_model._base_manager.filter(pk=value).first()
                except (ValueError, ValidationError):  # not a key: an old text value
                    obj = value
                self._objects[key] = str(obj) if obj is not None else f"#{value}"
            return self._objects[key]
        return value

    def __call__(self, entry: LogEntry) -> list[tuple[str, str, str]]:
        model = entry.content_type.model_class() if entry.content_type_id else None
        rows = []
        for name, values in (entry.changes_dict or {}).items():
            before, after = [*list(values), None, None][:2]
            try:
                field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                field = None
            label = str(getattr(field, "verbose_name", name))
            rows.append((label, self._value(field, before), self._value(field, after)))
        return rows


def action_label(entry: LogEntry) -> str:
    return str(ACTIONS.get(str(entry.action), entry.get_action_display()))


def changes_text(rows: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{label}: {before} → {after}" for label, before, after in rows)


def _querystring(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_safe
@login_required
def audit_log(request):
    _require_auditor(request)
    page = Paginator(filtered_changes(request), 50).get_page(request.GET.get("page"))
    describe = ChangeDescriber()
    entries = list(page.object_list)
    for entry in entries:
        entry.action_label = action_label(entry)
    models = ContentType.objects.filter(
        pk__in=LogEntry.objects.values("content_type").distinct()
    ).order_by("model")
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "entries": [(e, describe(e)) for e in entries],
            "models": models,
            "actions": ACTIONS.items(),
            "querystring": _querystring(request),
        },
    )


@require_safe
@login_required
def security_events(request):
    _require_auditor(request)
    page = Paginator(filtered_events(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/security_events.html",
        {"page": page, "kinds": SecurityEvent.Kind.choices, "querystring": _querystring(request)},
    )


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


@require_safe
@login_required
def audit_export(request) -> HttpResponse:
    """The filtered change log and security events as one workbook (two sheets)."""
    _require_auditor(request)
    describe = ChangeDescriber()
    changes = [
        (
            _local(e.timestamp),
            e.actor.get_username() if e.actor else (e.actor_email or ""),
            e.remote_addr or "",
            action_label(e),
            e.content_type.name if e.content_type else "",
            e.object_pk,
            e.object_repr,
            changes_text(describe(e)),
        )
        for e in filtered_changes(request).iterator(chunk_size=500)
    ]
    events = [
        (
            _local(ev.timestamp),
            ev.username,
            ev.ip or "",
            ev.get_kind_display(),
            ev.path,
            ev.detail,
        )
        for ev in filtered_events(request).iterator(chunk_size=500)
    ]
    sheets = [
        (
            _("Changes"),
            [
                _("Time"),
                _("User"),
                _("IP address"),
                _("Action"),
                _("Object type"),
                _("Object ID"),
                _("Object"),
                _("Before → after"),
            ],
            changes,
        ),
        (
            _("Security events"),
            [_("Time"), _("Username"), _("IP address"), _("Event"), _("Path"), _("Detail")],
            events,
        ),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(f"audit-{stamp}.xlsx", sheets)
