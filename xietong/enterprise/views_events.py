"""Pages of networking events: list, creation, detail (registration, requests, figures,
organiser actions), the organisers' schedule grid with its move form, and a participant's
agenda as .docx. Thin: the rules are in events.py."""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from xietong.conference.docx import (
    DOCX,
    HEADING_FONT,
    TABLE_SIZE,
    TITLE_FONT,
    TITLE_SIZE,
    _run,
    cn_date,
)
from xietong.core import scope

from . import events, events_suggest, queries
from .forms_events import EventForm, MoveForm, OutcomeForm, RegisterForm, RequestForm
from .models import Enterprise, Event, Match, MeetingRequest, Registration, ScheduledMeeting


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def _organised_pairs(user):
    return scope.partnerships(user).filter(pk__in={p for p, _s in queries.reach(user).staff_sides})


@require_safe
@login_required
def event_list(request):
    if not queries.reach(request.user).anything:
        raise Http404
    return render(
        request,
        "enterprise/event_list.html",
        {
            "events": scope.queryset(request.user, Event),
            "may_create": _organised_pairs(request.user).exists(),
        },
    )


@login_required
def event_create(request):
    pairs = _organised_pairs(request.user)
    if not pairs.exists():
        raise PermissionDenied(_("Only the organisers of a pair create its events."))
    form = EventForm(request.POST or None, partnerships=pairs)
    if request.method == "POST" and form.is_valid():
        try:
            event = events.create(request.user, form.save(commit=False))
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("The event is created."))
            return redirect("enterprise:event_detail", event.pk)
    return render(request, "enterprise/event_form.html", {"form": form})


def _own_registrations(user, event):
    regs = event.registrations.select_related("enterprise")
    if events.is_organiser(user, event):
        return regs
    return regs.filter(enterprise_id__in=queries.reach(user).enterprises)


def _registrable(user, event):
    """Enterprises the user may register: an organiser, those of the pair it sees; an
    enterprise user, its own."""
    qs = scope.queryset(user, Enterprise).filter(partnership_id=event.partnership_id)
    if not events.is_organiser(user, event):
        qs = qs.filter(pk__in=queries.reach(user).enterprises)
    return qs


@require_safe
@login_required
def event_detail(request, pk: int):
    user = request.user
    event = scope.get_or_404(user, Event, pk=pk)
    organiser = events.is_organiser(user, event)
    registrations = event.registrations.select_related("enterprise", "enterprise__side")
    own = _own_registrations(user, event)
    own_ids = set(own.values_list("pk", flat=True))
    requests = (
        scope.queryset(user, MeetingRequest)
        .filter(from_registration__event=event)
        .select_related("meeting")
    )
    if not organiser:
        requests = requests.filter(
            Q(from_registration__in=own_ids) | Q(to_registration__in=own_ids)
        )
    eligible = _registrable(user, event).exclude(pk__in=registrations.values("enterprise"))
    rows = [(r, events.may_answer(user, r)) for r in requests]
    requesting = event.status in (Event.Status.OPEN, Event.Status.SCHEDULED)
    suggested = []  # (registration, its suggestions)
    if requesting:
        if organiser:
            chosen = (
                own.filter(pk=request.GET.get("for")).first()
                if request.GET.get("for", "").isdigit()
                else None
            )
            targets = [chosen] if chosen else []
        else:
            targets = list(own)
        suggested = [(reg, events_suggest.suggest(reg)) for reg in targets]
    return render(
        request,
        "enterprise/event_detail.html",
        {
            "event": event,
            "organiser": organiser,
            "registrations": registrations,
            "own": own,
            "request_rows": rows,
            "figures": events.figures(event),
            "register_form": RegisterForm(enterprises=eligible)
            if event.status == Event.Status.OPEN and eligible.exists()
            else None,
            "request_form": RequestForm(senders=own, registrations=registrations)
            if requesting and own
            else None,
            "suggested": suggested,
            "requesting": requesting,
            "agenda_ready": event.status in (Event.Status.PUBLISHED, Event.Status.HELD),
        },
    )


def _slot_numbers(text: str) -> list[int]:
    """ "1, 3 4" (slots as people count them) → [0, 2, 3]."""
    numbers = []
    for part in text.replace("，", ",").replace(",", " ").split():
        if not part.isdigit() or int(part) < 1:
            raise ValidationError(
                _("“%(part)s” is not a slot number: give numbers from 1, separated by commas.")
                % {"part": part}
            )
        numbers.append(int(part) - 1)
    return numbers


@require_POST
@login_required
def event_action(request, pk: int, action: str):
    user = request.user
    event = scope.get_or_404(user, Event, pk=pk)
    try:
        if action == "open":
            events.open_registration(user, event)
            messages.success(request, _("Registration is open."))
        elif action == "build":
            left = events.build_schedule(user, event)
            messages.success(request, _("The draft schedule is built."))
            for item in left:
                messages.warning(
                    request,
                    _("Not placed: %(request)s (%(reason)s).")
                    % {"request": item.request, "reason": item.reason},
                )
            return redirect("enterprise:event_schedule", event.pk)
        elif action == "publish":
            events.publish(user, event)
            messages.success(request, _("The schedule is published."))
        elif action == "held":
            events.mark_held(user, event)
            messages.success(request, _("The event is marked as held."))
        elif action == "register":
            if not (events.is_organiser(user, event) or queries.reach(user).enterprises):
                raise PermissionDenied(_("You can register only your own enterprise."))
            form = RegisterForm(request.POST, enterprises=_registrable(user, event))
            if not form.is_valid():
                raise ValidationError(_("Choose an enterprise and name its delegates."))
            events.register(
                user, event, form.cleaned_data["enterprise"], form.cleaned_data["delegates"]
            )
            messages.success(request, _("The enterprise is registered."))
        elif action == "request":
            if not _own_registrations(user, event).exists():
                raise PermissionDenied(_("You can send requests only for your own enterprise."))
            form = RequestForm(
                request.POST,
                senders=_own_registrations(user, event),
                registrations=event.registrations.all(),
            )
            if not form.is_valid():
                raise ValidationError(_("Choose whom to meet and how much you want to."))
            data = form.cleaned_data
            events.request_meeting(
                user, data["sender"], data["addressee"], data["preference"], data["message"]
            )
            messages.success(request, _("Your request was sent."))
        elif action == "blocked":
            reg = scope.get_or_404(
                user, Registration, pk=request.POST.get("registration") or 0, event=event
            )
            events.set_blocked_slots(user, reg, _slot_numbers(request.POST.get("slots", "")))
            messages.success(request, _("Your availability is saved."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:event_detail", event.pk)


@require_POST
@login_required
def event_answer(request, pk: int):
    req = scope.get_or_404(request.user, MeetingRequest, pk=pk)
    try:
        events.answer(request.user, req, accept=request.POST.get("accept") == "1")
        messages.success(request, _("Your answer was sent."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:event_detail", req.from_registration.event_id)


@require_safe
@login_required
def event_schedule(request, pk: int):
    event = scope.get_or_404(request.user, Event, pk=pk)
    if not events.is_organiser(request.user, event):
        raise PermissionDenied(_("Only the organisers of the pair may do this."))
    outcomes = event.status == Event.Status.HELD
    grid = events.grid(event)
    if outcomes:
        for _index, _start, cells in grid:
            for m in cells:
                if m is not None:
                    m.candidates = events.candidate_matches(request.user, m)
    return render(
        request,
        "enterprise/event_schedule.html",
        {
            "event": event,
            "grid": grid,
            "tables": range(1, event.tables + 1),
            "movable": event.status in (Event.Status.SCHEDULED, Event.Status.PUBLISHED),
            "outcomes": outcomes,
            "pinned": sum(1 for _i, _s, cells in grid for m in cells if m and m.pinned),
        },
    )


def _matches(user, event):
    return scope.queryset(user, Match).filter(posting__partnership_id=event.partnership_id)


def _meeting_or_404(user, pk: int) -> ScheduledMeeting:
    meeting = (
        ScheduledMeeting.objects.select_related("event", "request")
        .filter(pk=pk, event__in=scope.queryset(user, Event))
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


@require_POST
@login_required
def event_move(request, pk: int):
    meeting = _meeting_or_404(request.user, pk)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the slot and table as numbers from 1."))
        events.move_meeting(
            request.user, meeting, form.cleaned_data["slot"] - 1, form.cleaned_data["table"]
        )
        messages.success(request, _("The meeting is moved and pinned there."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:event_schedule", meeting.event_id)


@require_POST
@login_required
def event_unpin(request, pk: int):
    meeting = _meeting_or_404(request.user, pk)
    try:
        events.unpin_meeting(request.user, meeting)
        messages.success(request, _("The meeting is no longer pinned."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:event_schedule", meeting.event_id)


@require_POST
@login_required
def event_outcome(request, pk: int):
    meeting = _meeting_or_404(request.user, pk)
    form = OutcomeForm(request.POST, matches=_matches(request.user, meeting.event))
    try:
        if not form.is_valid():
            raise ValidationError(_("The outcome is not valid."))
        data = form.cleaned_data
        events.record_outcome(
            request.user,
            meeting,
            held=data["held"],
            deal=data["deal"],
            follow_up=data["follow_up"],
            match=data["match"],
        )
        messages.success(request, _("The outcome is recorded."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:event_schedule", meeting.event_id)


@require_safe
@login_required
def event_agenda(request, pk: int):
    """A participant's personal agenda as .docx, once the schedule is published."""
    reg = scope.get_or_404(request.user, Registration, pk=pk)
    event = reg.event
    if event.status not in (Event.Status.PUBLISHED, Event.Status.HELD):
        raise Http404
    if not events.acts_for(request.user, reg):
        raise PermissionDenied(_("This agenda is for its enterprise and the organisers."))
    response = HttpResponse(agenda_docx(reg), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="agenda-{event.pk}-{reg.pk}.docx"'
    return response


def agenda_docx(reg: Registration) -> bytes:
    """The agenda: title, date and place, then one row per meeting (time, table, whom,
    their delegates), in the fonts of the conference documents."""
    event = reg.event
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, event.title, TITLE_FONT, TITLE_SIZE)
    info = document.add_paragraph()
    _run(
        info,
        _("%(enterprise)s · %(date)s · %(place)s")
        % {"enterprise": reg.enterprise, "date": cn_date(event.date), "place": event.place},
    )
    meetings = events.agenda(reg)
    if not meetings:
        _run(document.add_paragraph(), _("No meeting is scheduled for this enterprise."))
    else:
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells, [_("Time"), _("Table"), _("Meets"), _("Delegates")], strict=True
        ):
            _run(cell.paragraphs[0], text, HEADING_FONT, TABLE_SIZE)
        for m in meetings:
            other = events.other_party(m, reg)
            start = event.slot_start(m.slot)
            end = event.slot_start(m.slot + 1)
            row = table.add_row().cells
            values = [
                f"{start:%H:%M}–{end:%H:%M}",
                str(m.table),
                str(other.enterprise),
                other.delegates,
            ]
            for cell, text in zip(row, values, strict=True):
                _run(cell.paragraphs[0], text, size=TABLE_SIZE)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


urlpatterns = [
    path("events/", event_list, name="event_list"),
    path("events/new/", event_create, name="event_create"),
    path("events/<int:pk>/", event_detail, name="event_detail"),
    path("events/<int:pk>/schedule/", event_schedule, name="event_schedule"),
    path("events/<int:pk>/<str:action>/", event_action, name="event_action"),
    path("events/requests/<int:pk>/answer/", event_answer, name="event_answer"),
    path("events/meetings/<int:pk>/move/", event_move, name="event_move"),
    path("events/meetings/<int:pk>/unpin/", event_unpin, name="event_unpin"),
    path("events/meetings/<int:pk>/outcome/", event_outcome, name="event_outcome"),
    path("events/registrations/<int:pk>/agenda.docx", event_agenda, name="event_agenda"),
]
