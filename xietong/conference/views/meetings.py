"""Joint conferences: meetings, their attendees, agenda, minutes, documents and resolutions;
turning a resolution into tasks; the coordination issues that feed the next agenda.

Views are thin: every read goes through ``core.scope`` (out of scope → 404), every write
asks ``services.can_coordinate`` or a service function (a role that may not → 403).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from xietong.core import crud, scope
from xietong.core.audit import record
from xietong.core.models import Partnership, SecurityEvent
from xietong.core.uploads import clean_filename, safe_storage_name

from .. import docx, plan_services, queries, services
from ..forms_meetings import (
    AgendaItemForm,
    AttachmentForm,
    AttendeeForm,
    IssueForm,
    MeetingForm,
    ResolutionAgreementForm,
    ResolutionForm,
    TaskRowFormSet,
    add_service_errors,
    coordinated_partnerships,
    pair_people,
    pair_units,
)
from ..models import (
    AgendaItem,
    Attachment,
    Attendee,
    CoordinationIssue,
    Meeting,
    Resolution,
)
from ..versions import EditConflict

# Until SecurityEvent gets a kind of its own for exports, they are recorded under this
# one with "export" in the detail (see the report of the meeting pages).
EXPORT_EVENT = SecurityEvent.Kind.EXPORT


def deny() -> None:
    raise PermissionDenied(_("Your role does not allow this."))


def require_coordinator(user, partnership: Partnership) -> None:
    if not services.can_coordinate(user, partnership):
        deny()


def docx_response(request, content: bytes, filename: str, what: str) -> HttpResponse:
    """A Word download, recorded in the security log as an export."""
    record(EXPORT_EVENT, request, detail=f"export docx: {what}")
    response = HttpResponse(content, content_type=docx.DOCX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def partnership_filter(request, qs, field: str = "partnership"):
    """Narrow a list to ?partnership=<pk> when it is one the user sees."""
    value = request.GET.get("partnership", "")
    pairs = list(scope.internal_partnerships(request.user))
    if value.isdigit() and any(p.pk == int(value) for p in pairs):
        return qs.filter(**{field: int(value)}), pairs, int(value)
    return qs, pairs, None


# --- Meetings -------------------------------------------------------------------------


@login_required
def meeting_list(request):
    qs = (
        queries.meetings(request.user)
        .annotate(
            resolution_count=Count("resolutions", distinct=True),
            attachment_count=Count("attachments", distinct=True),
        )
        .order_by("partnership", "-date", "-number")
    )
    qs, pairs, current = partnership_filter(request, qs)
    groups: OrderedDict = OrderedDict()
    for meeting in qs:
        groups.setdefault(meeting.partnership, []).append(meeting)
    return render(
        request,
        "conference/meeting_list.html",
        {
            "groups": list(groups.items()),
            "pairs": pairs,
            "current": current,
            "can_create": scope.can(request.user, "create", Meeting),
        },
    )


def chosen_pair(request) -> Partnership | None:
    """The pair a new meeting or agreement is for: ?partnership=, else the current one."""
    user = request.user
    value = request.GET.get("partnership", "")
    if value.isdigit():
        pair = scope.get_or_404(user, Partnership, pk=int(value))
        require_coordinator(user, pair)
        return pair
    pairs = list(coordinated_partnerships(user))
    current = getattr(request, "partnership", None)
    if current and any(p.pk == current.pk for p in pairs):
        return current
    return pairs[0] if pairs else None


class ServiceEditMixin(crud.ObjectFormMixin):
    """core.crud's create and edit pages for the conference's records.

    The service function decides and saves (``save``); its field errors show on the form;
    an edit made after someone else's answers 409 with the input kept and the values saved
    meanwhile shown beside it (``ServiceForm.show_conflict``).
    """

    template_name = "conference/object_form.html"
    new_title = ""
    list_title = ""

    def save(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except EditConflict as exc:
            form.show_conflict(exc)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved: %(object)s") % {"object": self.object})
        return redirect(self.get_success_url())

    def parent(self) -> tuple[str, str]:
        """(link, label) of the page above this one."""
        return reverse(f"{self.url_base}_list"), self.list_title

    def cancel_url(self) -> str:
        if getattr(self, "object", None) is not None and self.object.pk:
            return reverse(f"{self.url_base}_detail", args=[self.object.pk])
        return self.parent()[0]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        parent_url, parent_label = self.parent()
        context.update(
            new_title=self.new_title,
            parent_url=parent_url,
            parent_label=parent_label,
            cancel_url=self.cancel_url(),
        )
        return context


class MeetingFormMixin(ServiceEditMixin):
    model = Meeting
    form_class = MeetingForm
    url_base = "conference:meeting"
    new_title = gettext_lazy("New joint conference")
    list_title = gettext_lazy("Joint conferences")


class MeetingCreate(MeetingFormMixin, crud.ObjectCreateView):
    def get_initial(self):
        """The next number, the partner side as host and place (the service fills in the
        same when they are left empty)."""
        pair = chosen_pair(self.request)
        if pair is None:
            return {}
        return {
            "partnership": pair,
            "number": services.next_meeting_number(pair),
            "host_side": pair.partner_side,
            "place": pair.partner_side.name,
        }

    def save(self, form):
        return plan_services.create_meeting(self.request.user, **form.service_kwargs())


class MeetingEdit(MeetingFormMixin, crud.ObjectEditView):
    def save(self, form):
        return plan_services.update_meeting(self.request.user, self.object, **form.service_kwargs())


def _meeting(request, pk) -> Meeting:
    return scope.get_or_404(request.user, Meeting, pk=pk)


def _attendees_by_side(meeting: Meeting) -> list:
    """[(side, [(unit or None, [attendee, …]), …]), …] in the pair's order of sides."""
    attendees = list(meeting.attendees.select_related("org_unit"))
    sides = []
    for side in meeting.partnership.sides:
        units: OrderedDict = OrderedDict()
        for a in attendees:
            if a.side_id == side.pk:
                units.setdefault(a.org_unit, []).append(a)
        sides.append((side, list(units.items())))
    return sides


def _render_detail(request, meeting: Meeting, status: int = 200, **forms):
    user = request.user
    can_coordinate = services.can_coordinate(user, meeting.partnership)
    visible_tasks = queries.tasks(user).order_by("code")
    resolutions = meeting.resolutions.prefetch_related(
        Prefetch("tasks", queryset=visible_tasks, to_attr="visible_tasks")
    )
    context = {
        "object": meeting,
        "meeting": meeting,
        "pair": meeting.partnership,
        "can_coordinate": can_coordinate,
        "sides": _attendees_by_side(meeting),
        "agenda": meeting.agenda_items.select_related("issue"),
        "resolutions": resolutions,
        "attachments": meeting.attachments.select_related("uploaded_by"),
        "agreements": queries.agreements(user).filter(meeting=meeting),
        "open_issues": queries.issues(user)
        .filter(partnership=meeting.partnership, status=CoordinationIssue.Status.OPEN)
        .count(),
    }
    if can_coordinate:
        context.update(
            attendee_form=forms.get("attendee_form") or AttendeeForm(user=user, meeting=meeting),
            agenda_form=forms.get("agenda_form") or AgendaItemForm(user=user, meeting=meeting),
            resolution_form=forms.get("resolution_form") or ResolutionForm(meeting=meeting),
            attachment_form=forms.get("attachment_form") or AttachmentForm(),
        )
    return render(request, "conference/meeting_detail.html", context, status=status)


@login_required
def meeting_detail(request, pk):
    return _render_detail(request, _meeting(request, pk))


def _writable_meeting(request, pk) -> Meeting:
    meeting = _meeting(request, pk)
    require_coordinator(request.user, meeting.partnership)
    return meeting


def _back(meeting: Meeting, anchor: str) -> HttpResponse:
    return redirect(reverse("conference:meeting_detail", args=[meeting.pk]) + f"#{anchor}")


@require_POST
@login_required
def attendee_add(request, pk):
    meeting = _writable_meeting(request, pk)
    form = AttendeeForm(request.POST, user=request.user, meeting=meeting)
    if form.is_valid():
        try:
            plan_services.add_attendee(request.user, meeting, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
    if not form.is_valid():
        return _render_detail(request, meeting, attendee_form=form)
    return _back(meeting, "attendees")


@require_POST
@login_required
def attendee_delete(request, pk, item):
    meeting = _writable_meeting(request, pk)
    attendee = Attendee.objects.filter(meeting=meeting, pk=item).first()
    if attendee is None:
        raise Http404
    plan_services.remove_attendee(request.user, attendee)
    return _back(meeting, "attendees")


@require_POST
@login_required
def agenda_add(request, pk):
    meeting = _writable_meeting(request, pk)
    form = AgendaItemForm(request.POST, user=request.user, meeting=meeting)
    if form.is_valid():
        try:
            services.add_agenda_item(
                request.user,
                meeting,
                title=form.cleaned_data["title"],
                presenter=form.cleaned_data["presenter"],
                issue=form.cleaned_data["issue"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        return _render_detail(request, meeting, agenda_form=form)
    return _back(meeting, "agenda")


@require_POST
@login_required
def agenda_delete(request, pk, item):
    meeting = _writable_meeting(request, pk)
    agenda_item = AgendaItem.objects.filter(meeting=meeting, pk=item).first()
    if agenda_item is None:
        raise Http404
    services.remove_agenda_item(request.user, agenda_item)
    return _back(meeting, "agenda")


@require_POST
@login_required
def resolution_add(request, pk):
    meeting = _writable_meeting(request, pk)
    form = ResolutionForm(request.POST, meeting=meeting)
    resolution = None
    if form.is_valid():
        try:
            data = form.cleaned_data
            resolution = plan_services.add_resolution(
                request.user, meeting, number=data["number"], text=data["text"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if resolution is None:
        return _render_detail(request, meeting, resolution_form=form)
    return _back(meeting, f"resolution-{resolution.pk}")


@require_POST
@login_required
def resolution_delete(request, pk, item):
    meeting = _writable_meeting(request, pk)
    resolution = Resolution.objects.filter(meeting=meeting, pk=item).first()
    if resolution is None:
        raise Http404
    try:
        plan_services.remove_resolution(request.user, resolution)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(meeting, "resolutions")


@require_POST
@login_required
def attachment_upload(request, pk):
    meeting = _writable_meeting(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, meeting, attachment_form=form)
    upload = form.cleaned_data["file"]
    original = upload.name
    upload.name = safe_storage_name(form.extension)
    with transaction.atomic():
        Attachment.objects.create(
            meeting=meeting,
            file=upload,
            name=clean_filename(original),
            size=upload.size,
            content_type=form.content_type,
            uploaded_by=request.user,
        )
    messages.success(request, _("Uploaded: %(name)s") % {"name": clean_filename(original)})
    return _back(meeting, "attachments")


@require_POST
@login_required
def attachment_delete(request, pk):
    attachment = scope.get_or_404(request.user, Attachment, pk=pk)
    if attachment.meeting_id is None:
        raise Http404  # report attachments belong to the task pages
    meeting = attachment.meeting
    require_coordinator(request.user, meeting.partnership)
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.delete(save=False))
    return _back(meeting, "attachments")


@login_required
def attachment_download(request, pk):
    """A meeting's or a report's file, only within scope; served under its original name."""
    attachment = scope.get_or_404(request.user, Attachment, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )


@login_required
def meeting_docx(request, pk):
    meeting = _meeting(request, pk)
    content = docx.meeting_document(meeting)
    filename = f"{meeting.partnership} {meeting}.docx".replace("↔", "-")
    return docx_response(request, content, filename, f"meeting {meeting.pk} {meeting}")


# --- Resolution → tasks ---------------------------------------------------------------


@login_required
def resolution_tasks(request, pk):
    """Turn a resolution into one or more tasks of an agreement of the same pair."""
    user = request.user
    resolution = scope.get_or_404(user, Resolution, pk=pk)
    meeting = resolution.meeting
    pair = meeting.partnership
    require_coordinator(user, pair)
    agreements = queries.agreements(user).filter(partnership=pair).order_by("-year")
    default = agreements.filter(meeting=meeting).first() or agreements.first()
    row_kwargs = {"units": pair_units(user, pair), "people": pair_people(user, pair)}
    if request.method == "POST":
        head = ResolutionAgreementForm(request.POST, agreements=agreements)
        agreement = head.cleaned_data["agreement"] if head.is_valid() else None
        rows = TaskRowFormSet(request.POST, agreement=agreement, form_kwargs=row_kwargs)
        if head.is_valid() and rows.is_valid():
            data = [
                {
                    "code": row["code"],
                    "title": row["title"],
                    "area": row["area"],
                    "kind": row["kind"],
                    "lead_units": list(row["lead_units"]),
                    "support_units": list(row["support_units"]),
                    "responsible": row["responsible"],
                    "start_date": row["start_date"],
                    "deadline": row["deadline"],
                    "content": row["content"],
                }
                for row in rows.rows()
            ]
            try:
                created = services.resolution_to_tasks(
                    user, resolution, agreement=agreement, tasks=data
                )
            except ValidationError as exc:
                head.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(count)d task(s) created from resolution %(number)s.")
                    % {"count": len(created), "number": resolution.number},
                )
                return _back(meeting, f"resolution-{resolution.pk}")
    else:
        head = ResolutionAgreementForm(initial={"agreement": default}, agreements=agreements)
        first = {"title": resolution.text.strip().splitlines()[0][:200] if resolution.text else ""}
        if default is not None:
            first["code"] = _suggest_code(default)
            first["start_date"] = max(meeting.date, _first_day(default.year))
        rows = TaskRowFormSet(initial=[first], form_kwargs=row_kwargs)
    return render(
        request,
        "conference/resolution_tasks.html",
        {
            "resolution": resolution,
            "meeting": meeting,
            "pair": pair,
            "head": head,
            "rows": rows,
            "has_agreements": agreements.exists(),
        },
    )


def _first_day(year: int) -> date:
    return date(year, 1, 1)


def _suggest_code(agreement) -> str:
    """The next free code of the form <year>-NNN."""
    taken = set(agreement.tasks.values_list("code", flat=True))
    n = len(taken) + 1
    while f"{agreement.year}-{n:03d}" in taken:
        n += 1
    return f"{agreement.year}-{n:03d}"


# --- Coordination issues --------------------------------------------------------------


@login_required
def issue_list(request):
    user = request.user
    qs = queries.issues(user).prefetch_related("agenda_items__meeting")
    qs, pairs, current = partnership_filter(request, qs)
    status = request.GET.get("status", "")
    if status in CoordinationIssue.Status.values:
        qs = qs.filter(status=status)
    issues = list(qs.select_related("partnership__developed_side", "partnership__partner_side"))
    coordinated = {p.pk for p in pairs if services.can_coordinate(user, p)}
    return render(
        request,
        "conference/issue_list.html",
        {
            "issues": [(issue, issue.partnership_id in coordinated) for issue in issues],
            "pairs": pairs,
            "current": current,
            "status": status,
            "statuses": CoordinationIssue.Status.choices,
            "can_create": bool(pairs),
        },
    )


@login_required
def issue_create(request):
    user = request.user
    if not services.issue_partnerships(user).exists():
        deny()  # a leader reads; the administrator, auditor, enterprise users raise none
    if request.method == "POST":
        form = IssueForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            issue = services.raise_issue(
                user,
                data["partnership"],
                title=data["title"],
                description=data["description"],
                unit=data["unit"],
            )
            messages.success(request, _("Issue raised: %(title)s") % {"title": issue.title})
            return redirect("conference:issue_list")
    else:
        g = scope.grants(user)
        mine = pair_units_of_user(user, g.units)
        pair = getattr(request, "partnership", None)
        form = IssueForm(initial={"partnership": pair, "unit": mine}, user=user)
    return render(request, "conference/issue_form.html", {"form": form})


def pair_units_of_user(user, unit_ids):
    """The user's own unit, as the default "raised by" (the first, if several)."""
    return scope.org_units(user).filter(pk__in=unit_ids).first()


@require_POST
@login_required
def issue_status(request, pk):
    issue = scope.get_or_404(request.user, CoordinationIssue, pk=pk)
    try:
        services.set_issue_status(request.user, issue, request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("conference:issue_list") + f"#issue-{issue.pk}")


urlpatterns = [
    path("meetings/", meeting_list, name="meeting_list"),
    path("meetings/new/", MeetingCreate.as_view(), name="meeting_create"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", MeetingEdit.as_view(), name="meeting_edit"),
    path("meetings/<int:pk>/word/", meeting_docx, name="meeting_docx"),
    path("meetings/<int:pk>/attendees/", attendee_add, name="attendee_add"),
    path(
        "meetings/<int:pk>/attendees/<int:item>/delete/",
        attendee_delete,
        name="attendee_delete",
    ),
    path("meetings/<int:pk>/agenda/", agenda_add, name="agenda_add"),
    path("meetings/<int:pk>/agenda/<int:item>/delete/", agenda_delete, name="agenda_delete"),
    path("meetings/<int:pk>/resolutions/", resolution_add, name="resolution_add"),
    path(
        "meetings/<int:pk>/resolutions/<int:item>/delete/",
        resolution_delete,
        name="resolution_delete",
    ),
    path("meetings/<int:pk>/attachments/", attachment_upload, name="attachment_upload"),
    path("resolutions/<int:pk>/tasks/", resolution_tasks, name="resolution_tasks"),
    path("attachments/<int:pk>/", attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", attachment_delete, name="attachment_delete"),
    path("issues/", issue_list, name="issue_list"),
    path("issues/new/", issue_create, name="issue_create"),
    path("issues/<int:pk>/status/", issue_status, name="issue_status"),
]
