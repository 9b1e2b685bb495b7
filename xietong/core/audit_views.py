"""The security auditor's pages: the change log and security events, filtered and exported."""

from __future__ import annotations

from datetime import datetime, time

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import scope
from .exports import xlsx_response
from .models import SecurityEvent

ACTIONS = {
    str(LogEntry.Action.CREATE): gettext_lazy("Create"),
    str(LogEntry.Action.UPDATE): gettext_lazy("Change"),
    str(LogEntry.Action.DELETE): gettext_lazy("Delete"),
}


def _require_auditor(request) -> None:
    if not scope.can_read_audit(request.user):
        raise PermissionDenied(_("Only the security auditor reads the audit log."))


def _date_bounds(request):
    start = parse_date(request.GET.get("from", "") or "")
    end = parse_date(request.GET.get("to", "") or "")
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
    if request.GET.get("model"):
        qs = qs.filter(content_type_id=request.GET["model"])
    if request.GET.get("action") in ACTIONS:
        qs = qs.filter(action=int(request.GET["action"]))
    if request.GET.get("object"):
        qs = qs.filter(object_repr__icontains=request.GET["object"])
    return qs


def filtered_events(request):
    qs = SecurityEvent.objects.select_related("user")
    start, end = _date_bounds(request)
    if start:
        qs = qs.filter(timestamp__gte=start)
    if end:
        qs = qs.filter(timestamp__lte=end)
    if request.GET.get("actor"):
        qs = qs.filter(username__icontains=request.GET["actor"])
    if request.GET.get("kind"):
        qs = qs.filter(kind=request.GET["kind"])
    return qs


def _changes_text(entry: LogEntry) -> str:
    parts = []
    for field, (before, after) in (entry.changes_dict or {}).items():
        parts.append(f"{field}: {before} → {after}")
    return "; ".join(parts)


@login_required
def audit_log(request):
    _require_auditor(request)
    page = Paginator(filtered_changes(request), 50).get_page(request.GET.get("page"))
    models = ContentType.objects.filter(
        pk__in=LogEntry.objects.values("content_type").distinct()
    ).order_by("model")
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "entries": [(e, _changes_text(e)) for e in page.object_list],
            "models": models,
            "actions": ACTIONS.items(),
            "querystring": params.urlencode(),
        },
    )


@login_required
def security_events(request):
    _require_auditor(request)
    page = Paginator(filtered_events(request), 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "core/security_events.html",
        {"page": page, "kinds": SecurityEvent.Kind.choices, "querystring": params.urlencode()},
    )


@login_required
def audit_export(request) -> HttpResponse:
    """The filtered change log and security events as one workbook (two sheets)."""
    _require_auditor(request)
    changes = [
        (
            timezone.localtime(e.timestamp).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor.get_username() if e.actor else "",
            e.remote_addr or "",
            str(ACTIONS.get(str(e.action), e.action)),
            e.content_type.name if e.content_type else "",
            e.object_pk,
            e.object_repr,
            _changes_text(e),
        )
        for e in filtered_changes(request).iterator()
    ]
    events = [
        (
            timezone.localtime(ev.timestamp).strftime("%Y-%m-%d %H:%M:%S"),
            ev.username,
            ev.ip or "",
            ev.get_kind_display(),
            ev.path,
            ev.detail,
        )
        for ev in filtered_events(request).iterator()
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
