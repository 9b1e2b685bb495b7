"""Excel in and out of the task list: the template, the import and the export.

Every view starts from core.scope: an agreement out of scope is a 404; a visible agreement
whose task list the user may not change is a 403 on import. Exports are recorded as
security events, as every bulk read of internal data is.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from xietong.core import scope
from xietong.core.audit import record
from xietong.core.exports import XLSX, xlsx_response
from xietong.core.models import SecurityEvent

from .. import exports, imports, queries, services, tasks
from ..models import AnnualAgreement, Area, Task

EXPORT_EVENT = SecurityEvent.Kind.EXPORT


def _internal_or_404(user) -> None:
    """Conference data does not exist for people who see nothing internal."""
    if not scope.internal_partnerships(user).exists():
        raise Http404


def _agreement_url(agreement: AnnualAgreement) -> str:
    try:
        return reverse("conference:agreement_detail", args=[agreement.pk])
    except NoReverseMatch:
        return reverse("conference:task_import", args=[agreement.pk])


@require_safe
@login_required
def task_template(request, pk: int | None = None):
    """The empty task list with Chinese headers and instructions (with the pair's units
    and people when asked for an agreement)."""
    _internal_or_404(request.user)
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk) if pk else None
    response = HttpResponse(imports.template_workbook(agreement), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="task-list-template.xlsx"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def task_import(request, pk: int):
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    if not services.can_coordinate(request.user, agreement.partnership):
        raise PermissionDenied(_("Only the coordinators of the pair import its task list."))
    context = {
        "agreement": agreement,
        "agreement_url": _agreement_url(agreement),
        "max_mb": imports.MAX_UPLOAD_BYTES // 1024**2,
        "columns": imports.COLUMNS,
        "job_rows": imports.job_rows(),
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        problem = None
        if upload is None:
            problem = _("Choose an Excel workbook (.xlsx) to import.")
        elif upload.size > imports.MAX_UPLOAD_BYTES:
            problem = _("The file is larger than %(size)d MB.") % {"size": context["max_mb"]}
        else:
            data = upload.read(imports.MAX_UPLOAD_BYTES + 1)
            try:
                rows = imports.count_rows(upload.name, data)
                if rows > imports.job_rows():
                    token = tasks.start_import(request, agreement, upload.name, data, rows)
                    return redirect("conference:task_import_job", agreement.pk, token)
                result = imports.import_file(request.user, agreement, upload.name, data)
            except imports.ImportRejected as exc:
                problem = str(exc)
            else:
                if result.ok:
                    counts = (len(result.created), len(result.updated), len(result.unchanged))
                    messages.success(request, _imported(*counts))
                    return redirect(context["agreement_url"])
                context["errors"] = result.errors
        context["problem"] = problem
        context["filename"] = getattr(upload, "name", "")
    return render(request, "conference/import.html", context)


def _imported(created: int, updated: int, unchanged: int) -> str:
    return _(
        "Task list imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    ) % {"created": created, "updated": updated, "unchanged": unchanged}


@require_safe
@login_required
def task_import_job(request, pk: int, token: str):
    """The progress of a background import, then its outcome: the page, and the fragment
    htmx polls every second while the job runs. Only the uploader, through the agreement,
    sees it; anyone else gets a 404."""
    agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
    state = imports.job_state(token, request.user, agreement)
    if state is None:
        raise Http404
    context = {
        "agreement": agreement,
        "agreement_url": _agreement_url(agreement),
        "job": state,
        "errors": state["cell_errors"],
        "summary": _imported(state["created"], state["updated"], state["unchanged"])
        if state["state"] == imports.JOB_DONE
        else "",
        "status_url": request.path,
    }
    if request.htmx:
        return render(request, "conference/import_progress.html", context)
    return render(request, "conference/import_job.html", context)


def _filter(tasks, request):
    params = request.GET
    if params.get("agreement", "").isdigit():
        tasks = tasks.filter(agreement_id=int(params["agreement"]))
    if params.get("area") in Area.values:
        tasks = tasks.filter(area=params["area"])
    if params.get("status") in Task.Status.values:
        tasks = tasks.filter(status=params["status"])
    if params.get("light") in Task.Light.values:
        tasks = tasks.filter(light=params["light"])
    if params.get("unit", "").isdigit():
        tasks = tasks.filter(task_units__unit_id=int(params["unit"])).distinct()
    if params.get("responsible", "").isdigit():
        tasks = tasks.filter(responsible_id=int(params["responsible"]))
    return tasks


@require_safe
@login_required
def task_export(request, pk: int | None = None):
    """The visible task list (of one agreement, optionally filtered) with latest progress."""
    _internal_or_404(request.user)
    tasks = queries.tasks(request.user)
    name = "tasks"
    if pk is not None:
        agreement = scope.get_or_404(request.user, AnnualAgreement, pk=pk)
        tasks = tasks.filter(agreement=agreement)
        name = f"tasks-{agreement.partnership_id}-{agreement.year}"
    tasks = _filter(tasks, request)
    sheets = exports.task_sheets(tasks)
    record(
        EXPORT_EVENT,
        request,
        detail=f"conference task list xlsx: {len(sheets[0][2])} rows"
        + (f", agreement {pk}" if pk else ""),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(f"{name}-{stamp}.xlsx", sheets)


urlpatterns = [
    path("tasks/template.xlsx", task_template, name="task_template"),
    path("agreements/<int:pk>/tasks/template.xlsx", task_template, name="task_template"),
    path("agreements/<int:pk>/tasks/import/", task_import, name="task_import"),
    path(
        "agreements/<int:pk>/tasks/import/<str:token>/",
        task_import_job,
        name="task_import_job",
    ),
    path("tasks/export.xlsx", task_export, name="task_export"),
    path("agreements/<int:pk>/tasks/export.xlsx", task_export, name="task_export"),
]
