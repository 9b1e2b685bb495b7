"""Pages of department pairs, work contacts and compliance (see urls.py).

Views are thin: every read goes through ``core.scope`` (``queries.py``; out of scope →
404), every write asks a ``services.may_*`` predicate or the service itself (a visible
object the role may not change → 403). Edits carry the version token
(``conference.versions``): a stale one answers 409 with the input kept.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from xietong.conference.forms_meetings import add_service_errors
from xietong.conference.queries import tasks as visible_tasks
from xietong.conference.versions import EditConflict, version_of
from xietong.core import scope
from xietong.core.audit import record
from xietong.core.exports import xlsx_response
from xietong.core.models import Partnership, SecurityEvent

from . import compliance, exports, queries, services
from .forms import (
    AttachmentsForm,
    ContactForm,
    FollowUpFormSet,
    PairEndForm,
    PairForm,
    ParticipantFormSet,
    ReturnForm,
    SettingsForm,
    SingleFollowUpForm,
    follow_up_rows,
    managed_partnerships,
    participant_rows,
)
from .models import (
    ContactAttachment,
    ContactParticipant,
    DepartmentPair,
    FollowUpAction,
    PairingSettings,
    Side,
    WorkContact,
)

EXPORT_EVENT = SecurityEvent.Kind.EXPORT


def deny() -> None:
    raise PermissionDenied(_("Your role does not allow this."))


# --- Compliance states as shown -----------------------------------------------------------

# state → (css of the cell, icon), so a state is told by its text and icon, not colour alone
STATE_STYLE = {
    compliance.HELD: ("bg-green text-green-fg", "✓"),
    compliance.UNCONFIRMED: ("bg-yellow text-yellow-fg", "…"),
    compliance.NOT_YET: ("bg-azure-lt", "○"),
    compliance.MISSED: ("bg-red text-red-fg", "✕"),
    compliance.NOT_APPLICABLE: ("bg-secondary-lt text-secondary", "—"),
}


def state(status: str) -> dict:
    css, icon = STATE_STYLE[status]
    return {"key": status, "label": exports.state_label(status), "css": css, "icon": icon}


def legend() -> list[dict]:
    return [state(s) for s in compliance.STATES]


def rate_view(rate: compliance.Rate) -> dict:
    return {"percent": exports.percent(rate), "held": rate.held, "due": rate.due}


def _month_param(value: str) -> date | None:
    """``YYYY-MM`` → its first day, None when absent or malformed."""
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


def _month_label(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def partnership_filter(request, qs, field: str = "partnership"):
    """Narrow to ?partnership=<pk> when the user sees it; else to the current partnership
    of the switcher when it has pairing; else all. Returns (qs, pairs, current pk)."""
    pairs = list(scope.internal_partnerships(request.user))
    value = request.GET.get("partnership")
    if value == "":
        return qs, pairs, None
    if value and value.isdigit() and any(p.pk == int(value) for p in pairs):
        return qs.filter(**{field: int(value)}), pairs, int(value)
    current = getattr(request, "partnership", None)
    if value is None and current is not None and any(p.pk == current.pk for p in pairs):
        return qs.filter(**{field: current.pk}), pairs, current.pk
    return qs, pairs, None


def _internal_only(request) -> None:
    """Pairing is internal work: an enterprise user or the auditor sees none of it (404)."""
    if not scope.internal_partnerships(request.user).exists():
        raise Http404


# --- Department pairs -----------------------------------------------------------------------


@login_required
def pair_list(request):
    _internal_only(request)
    user = request.user
    today = timezone.localdate()
    qs, pairs, current = partnership_filter(request, queries.department_pairs(user))
    show_ended = request.GET.get("ended") == "1"
    if not show_ended:
        qs = qs.exclude(ended_on__lt=today)
    qs = qs.annotate(contact_count=Count("contacts")).order_by(
        "partnership", "developed_unit__sort_order", "developed_unit__name", "pk"
    )
    pair_rows = list(qs)
    this_month = compliance.month_start(today)
    cells = {r.pair.pk: r.cells[0] for r in compliance.grid(pair_rows, [this_month], today)}
    rates = {r.pair.pk: r.year for r in compliance.pair_rates(pair_rows, today.year, today)}
    groups: OrderedDict = OrderedDict()
    for pair in pair_rows:
        groups.setdefault(pair.partnership, []).append(
            {
                "pair": pair,
                "state": state(cells[pair.pk].status),
                "rate": rate_view(rates[pair.pk]),
                "month_url": _contacts_url(pair, this_month),
            }
        )
    visible = [p for p in pairs if current is None or p.pk == current]
    return render(
        request,
        "pairing/pair_list.html",
        {
            "groups": [(p, groups.get(p, []), services.may_manage_pairs(user, p)) for p in visible],
            "pairs": pairs,
            "current": current,
            "show_ended": show_ended,
            "this_month": this_month,
            "year": today.year,
            "can_create": managed_partnerships(user).exists(),
        },
    )


def _contacts_url(pair: DepartmentPair, month: date) -> str:
    return (
        reverse("pairing:contact_list")
        + f"?partnership={pair.partnership_id}&pair={pair.pk}&month={month:%Y-%m}"
    )


def _pair(request, pk) -> DepartmentPair:
    return scope.get_or_404(request.user, DepartmentPair, pk=pk)


@login_required
def pair_detail(request, pk):
    user = request.user
    pair = _pair(request, pk)
    today = timezone.localdate()
    year = today.year
    months = compliance.last_months(today, 12)
    row = compliance.grid([pair], months, today)[0]
    rates = compliance.pair_rates([pair], year, today)[0]
    contacts = (
        queries.contacts(user)
        .filter(pair=pair)
        .annotate(action_count=Count("follow_ups", distinct=True))
        .order_by("-held_on", "-pk")
    )
    return render(
        request,
        "pairing/pair_detail.html",
        {
            "pair": pair,
            "object": pair,
            "cells": [
                {"cell": c, "state": state(c.status), "url": _contacts_url(pair, c.month)}
                for c in row.cells
            ],
            "year": year,
            "quarters": [(q, rate_view(rates.quarters[q])) for q in (1, 2, 3, 4)],
            "year_rate": rate_view(rates.year),
            "contacts": contacts[:50],
            "contact_total": contacts.count(),
            "follow_ups": queries.follow_ups(user)
            .filter(contact__pair=pair)
            .select_related("contact")
            .order_by("-contact__held_on", "pk")[:30],
            "can_manage": services.may_manage_pairs(user, pair.partnership),
            "can_delete": services.may_manage_pairs(user, pair.partnership)
            and not pair.contacts.exists(),
            "can_record": services.may_record(user, pair) and pair.is_active,
            "legend": legend(),
        },
    )


def _pair_form_page(request, form, partnership, pair=None, status=200):
    return render(
        request,
        "pairing/pair_form.html",
        {"form": form, "partnership": partnership, "object": pair},
        status=status,
    )


def _chosen_partnership(request) -> Partnership | None:
    """The partnership a new pair is for: ?partnership=, else the current one, else the
    first the user manages."""
    user = request.user
    value = request.GET.get("partnership", "")
    if value.isdigit():
        partnership = scope.get_or_404(user, Partnership, pk=int(value))
        if partnership not in scope.internal_partnerships(user):
            raise Http404
        if not services.may_manage_pairs(user, partnership):
            deny()
        return partnership
    managed = list(managed_partnerships(user))
    current = getattr(request, "partnership", None)
    if current and any(p.pk == current.pk for p in managed):
        return current
    return managed[0] if managed else None


@login_required
def pair_create(request):
    _internal_only(request)
    partnership = _chosen_partnership(request)
    if partnership is None:
        deny()
    user = request.user
    form = PairForm(request.POST or None, user=user, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        try:
            pair = services.create_pair(user, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Departments paired: %(pair)s") % {"pair": pair})
            return redirect("pairing:pair_detail", pk=pair.pk)
    return _pair_form_page(request, form, partnership, status=400 if form.errors else 200)


@login_required
def pair_edit(request, pk):
    user = request.user
    pair = _pair(request, pk)
    if not services.may_manage_pairs(user, pair.partnership):
        deny()
    form = PairForm(request.POST or None, instance=pair, user=user, partnership=pair.partnership)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            pair = services.update_pair(user, pair, **form.service_kwargs())
        except EditConflict as exc:
            form.show_conflict(exc)
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(object)s") % {"object": pair})
            return redirect("pairing:pair_detail", pk=pair.pk)
    if form.errors and status == 200:
        status = 400
    return _pair_form_page(request, form, pair.partnership, pair, status=status)


@login_required
def pair_end(request, pk):
    user = request.user
    pair = _pair(request, pk)
    if not services.may_manage_pairs(user, pair.partnership):
        deny()
    form = PairEndForm(request.POST or None, pair=pair, initial={"ended_on": timezone.localdate()})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            pair = services.end_pair(
                user,
                pair,
                ended_on=form.cleaned_data["ended_on"],
                version=form.cleaned_data["version"],
            )
        except EditConflict as exc:
            form.add_error(None, exc.messages[0])
            form.data = form.data.copy()
            form.data["version"] = exc.version
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The pairing %(pair)s ends on %(date)s.")
                % {"pair": pair, "date": formats.date_format(pair.ended_on)},
            )
            return redirect("pairing:pair_detail", pk=pair.pk)
    if form.errors and status == 200:
        status = 400
    return render(request, "pairing/pair_end.html", {"form": form, "pair": pair}, status=status)


@login_required
def settings_edit(request, partnership):
    user = request.user
    partnership = scope.get_or_404(user, Partnership, pk=partnership)
    if partnership not in scope.internal_partnerships(user):
        raise Http404
    if not services.may_manage_pairs(user, partnership):
        deny()
    row = services.settings_for(partnership)
    form = SettingsForm(request.POST or None, instance=row)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(user, partnership, **form.service_kwargs())
        except EditConflict as exc:
            form.add_error(None, exc.messages[0])
            form.data = form.data.copy()
            form.data["version"] = exc.version
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Pairing settings saved for %(pair)s.") % {"pair": partnership}
            )
            return redirect(reverse("pairing:pair_list") + f"?partnership={partnership.pk}")
    if form.errors and status == 200:
        status = 400
    progress = services.secondment_progress(partnership, timezone.localdate().year)
    return render(
        request,
        "pairing/settings_form.html",
        {
            "form": form,
            "partnership": partnership,
            "progress": progress,
            "saved": isinstance(row, PairingSettings) and row.pk is not None,
        },
        status=status,
    )


# --- Work contacts ----------------------------------------------------------------------


@login_required
def contact_list(request):
    _internal_only(request)
    user = request.user
    qs = queries.contacts(user).annotate(
        participant_count=Count("participants", distinct=True),
        action_count=Count("follow_ups", distinct=True),
    )
    qs, pairs, current = partnership_filter(request, qs, "pair__partnership")
    pair_choices = queries.department_pairs(user).select_related("developed_unit", "partner_unit")
    if current:
        pair_choices = pair_choices.filter(partnership_id=current)
    pair_value = request.GET.get("pair", "")
    pair = None
    if pair_value.isdigit():
        pair = pair_choices.filter(pk=int(pair_value)).first()
        if pair is not None:
            qs = qs.filter(pair=pair)
    month = _month_param(request.GET.get("month", ""))
    if month is not None:
        qs = qs.filter(held_on__year=month.year, held_on__month=month.month)
    status = request.GET.get("status", "")
    if status in WorkContact.Status.values:
        qs = qs.filter(status=status)
    form = request.GET.get("form", "")
    if form in WorkContact.Form.values:
        qs = qs.filter(form=form)
    qs = qs.order_by("-held_on", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    export_params = {"partnership": current or "", "month": f"{month:%Y-%m}" if month else ""}
    awaiting_mine = [c.pk for c in page.object_list if services.may_confirm(user, c)]
    return render(
        request,
        "pairing/contact_list.html",
        {
            "page": page,
            "contacts": page.object_list,
            "querystring": params.urlencode(),
            "pairs": pairs,
            "current": current,
            "pair_choices": pair_choices,
            "pair": pair,
            "month": month,
            "month_label": _month_label(month) if month else "",
            "status": status,
            "statuses": WorkContact.Status.choices,
            "form_value": form,
            "forms": WorkContact.Form.choices,
            "export_query": "&".join(f"{k}={v}" for k, v in export_params.items() if v),
            "awaiting_mine": awaiting_mine,
            "can_record": _recordable_pairs(user).exists(),
        },
    )


def _contact(request, pk) -> WorkContact:
    return scope.get_or_404(request.user, WorkContact, pk=pk)


def _sides(contact: WorkContact) -> list[dict]:
    people = list(contact.participants.all())
    return [
        {
            "side": side,
            "label": Side(side).label,
            "unit": contact.pair.unit_of(side),
            "people": [p for p in people if p.side == side],
        }
        for side in (Side.DEVELOPED, Side.PARTNER)
    ]


def _render_contact(request, contact: WorkContact, status: int = 200, **forms):
    user = request.user
    contact = (
        queries.contacts(user)
        .select_related("returned_by", "pair__developed_lead", "pair__partner_lead")
        .prefetch_related(
            Prefetch("participants", queryset=ContactParticipant.objects.order_by("side", "pk"))
        )
        .get(pk=contact.pk)
    )
    partnership = contact.pair.partnership
    visible_task_ids = set(
        visible_tasks(user).filter(pairing_actions__contact=contact).values_list("pk", flat=True)
    )
    actions = [
        {
            "action": a,
            "task_visible": a.task_id in visible_task_ids,
            "can_make_task": services.may_make_task(user, a),
        }
        for a in contact.follow_ups.select_related("task", "created_by")
    ]
    can_add_follow_up = services.may_add_follow_up(user, contact)
    can_attach = services.may_attach(user, contact)
    context = {
        "contact": contact,
        "object": contact,
        "pair": contact.pair,
        "sides": _sides(contact),
        "actions": actions,
        "attachments": contact.attachments.select_related("uploaded_by"),
        "version": version_of(contact),
        "can_edit": services.may_edit_contact(user, contact),
        "can_confirm": services.may_confirm(user, contact),
        "can_resubmit": services.may_resubmit(user, contact),
        "can_add_follow_up": can_add_follow_up,
        "can_attach": can_attach,
        "can_coordinate": services.may_manage_pairs(user, partnership),
        "agreement": services.current_agreement(partnership),
    }
    if context["can_confirm"]:
        context["return_form"] = forms.get("return_form") or ReturnForm(
            initial={"version": context["version"]}
        )
    if can_add_follow_up:
        context["follow_up_form"] = forms.get("follow_up_form") or SingleFollowUpForm(prefix="fu")
    if can_attach:
        context["attachment_form"] = forms.get("attachment_form") or AttachmentsForm()
    context["conflict"] = forms.get("conflict")
    return render(request, "pairing/contact_detail.html", context, status=status)


@login_required
def contact_detail(request, pk):
    return _render_contact(request, _contact(request, pk))


def _participant_formsets(data=None, contact: WorkContact | None = None):
    """One participants formset per side (prefixes ``dev`` and ``par``)."""
    sets = []
    for side, prefix in ((Side.DEVELOPED, "dev"), (Side.PARTNER, "par")):
        initial = None
        if contact is not None and data is None:
            initial = [
                {"name": p.name, "unit": p.unit, "title": p.title}
                for p in contact.participants.all()
                if p.side == side
            ]
        formset = ParticipantFormSet(data, prefix=prefix, initial=initial)
        formset.side = side
        formset.side_label = Side(side).label
        sets.append(formset)
    return sets


def _participants(formsets) -> list[dict]:
    return [{"side": fs.side, **row} for fs in formsets for row in participant_rows(fs)]


def _recordable_pairs(user):
    today = timezone.localdate()
    visible = queries.department_pairs(user).exclude(ended_on__lt=today.replace(day=1))
    return visible.filter(pk__in=[p.pk for p in visible if services.may_record(user, p)])


def _asks_side(user, pairs) -> bool:
    """Ask for the recording side when the user acts for both sides or for none (a
    programme coordinator) of some pair it may record for."""
    return any(len(services.acting_sides(user, p)) != 1 for p in pairs)


def _contact_form_page(request, context, status=200):
    return render(request, "pairing/contact_form.html", context, status=status)


@login_required
def contact_create(request):
    _internal_only(request)
    user = request.user
    pairs = _recordable_pairs(user)
    pair_list_ = list(pairs)
    if not pair_list_:
        deny()
    initial = {"held_on": timezone.localdate(), "form": WorkContact.Form.VIDEO}
    value = request.GET.get("pair", "")
    if value.isdigit():
        chosen = scope.get_or_404(user, DepartmentPair, pk=int(value))
        if not services.may_record(user, chosen):
            deny()
        initial["pair"] = chosen
        sides = services.acting_sides(user, chosen)
        if len(sides) == 1:
            initial["host_side"] = next(iter(sides))
    elif len(pair_list_) == 1:
        initial["pair"] = pair_list_[0]
    data = request.POST if request.method == "POST" else None
    ask_side = _asks_side(user, pair_list_)
    form = ContactForm(data, user=user, pairs=pairs, ask_side=ask_side, initial=initial)
    people = _participant_formsets(data)
    actions = FollowUpFormSet(data, prefix="fu")
    files = AttachmentsForm(data, request.FILES if data is not None else None)
    status = 200
    if data is not None:
        valid = all(
            [form.is_valid(), *[p.is_valid() for p in people], actions.is_valid(), files.is_valid()]
        )
        if valid:
            kwargs = form.service_kwargs()
            pair = form.cleaned_data["pair"]
            try:
                with transaction.atomic():
                    contact = services.record_contact(
                        user,
                        pair,
                        participants=_participants(people),
                        follow_ups=follow_up_rows(actions),
                        **kwargs,
                    )
                    for upload in files.cleaned_data["files"]:
                        services.add_attachment(user, contact, upload)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Work contact recorded; %(unit)s is asked to confirm it.")
                    % {"unit": pair.unit_of(contact.confirming_side)},
                )
                return redirect("pairing:contact_detail", pk=contact.pk)
        status = 400
    return _contact_form_page(
        request,
        {
            "form": form,
            "people": people,
            "actions": actions,
            "files": files,
            "object": None,
        },
        status,
    )


@login_required
def contact_edit(request, pk):
    """Correct a record not yet confirmed; a returned one is resubmitted from here."""
    user = request.user
    contact = _contact(request, pk)
    if not services.may_edit_contact(user, contact):
        deny()
    data = request.POST if request.method == "POST" else None
    form = ContactForm(data, instance=contact, user=user)
    people = _participant_formsets(data, contact)
    status = 200
    if data is not None:
        if form.is_valid() and all(p.is_valid() for p in people):
            kwargs = form.service_kwargs()
            resubmit = contact.status == WorkContact.Status.RETURNED and "resubmit" in data
            act = services.resubmit_contact if resubmit else services.update_contact
            try:
                contact = act(user, contact, participants=_participants(people), **kwargs)
            except EditConflict as exc:
                form.data = form.data.copy()
                form.data["version"] = exc.version
                form.add_error(None, exc.messages[0])
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Resubmitted for confirmation.")
                    if resubmit
                    else _("Saved: %(object)s") % {"object": contact},
                )
                return redirect("pairing:contact_detail", pk=contact.pk)
        if status == 200:
            status = 400
    return _contact_form_page(
        request,
        {
            "form": form,
            "people": people,
            "object": contact,
            "conflict_current": contact if status == 409 else None,
        },
        status,
    )


@require_POST
@login_required
def contact_confirm(request, pk):
    user = request.user
    contact = _contact(request, pk)
    if contact.status == WorkContact.Status.AWAITING and not services.may_confirm(user, contact):
        deny()
    try:
        services.confirm_contact(user, contact, version=request.POST.get("version") or None)
    except EditConflict as exc:
        return _render_contact(request, contact, status=409, conflict=exc.messages[0])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Work contact confirmed."))
    return redirect("pairing:contact_detail", pk=contact.pk)


@require_POST
@login_required
def contact_return(request, pk):
    user = request.user
    contact = _contact(request, pk)
    if contact.status == WorkContact.Status.AWAITING and not services.may_confirm(user, contact):
        deny()
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_contact(
                user,
                contact,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"] or None,
            )
        except EditConflict as exc:
            return _render_contact(request, contact, status=409, conflict=exc.messages[0])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Work contact returned to the recording side."))
            return redirect("pairing:contact_detail", pk=contact.pk)
    return _render_contact(request, contact, status=400, return_form=form)


@require_POST
@login_required
def follow_up_add(request, pk):
    user = request.user
    contact = _contact(request, pk)
    if not services.may_add_follow_up(user, contact):
        deny()
    form = SingleFollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        try:
            services.add_follow_up(
                user,
                contact,
                text=form.cleaned_data["text"],
                owner_side=form.cleaned_data["owner_side"],
                due_on=form.cleaned_data["due_on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(reverse("pairing:contact_detail", args=[contact.pk]) + "#follow-ups")
    return _render_contact(request, contact, status=400, follow_up_form=form)


@require_POST
@login_required
def follow_up_task(request, pk):
    """A coordinator puts a follow-up action on the pair's current annual task list."""
    user = request.user
    action = scope.get_or_404(user, FollowUpAction, pk=pk)
    contact = action.contact
    if action.task_id is None and not services.may_make_task(user, action):
        deny()
    try:
        task = services.follow_up_to_task(user, action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Task %(code)s created on the task list of %(agreement)s.")
            % {"code": task.code, "agreement": task.agreement},
        )
    return redirect(reverse("pairing:contact_detail", args=[contact.pk]) + f"#action-{action.pk}")


@require_POST
@login_required
def attachment_upload(request, pk):
    user = request.user
    contact = _contact(request, pk)
    if not services.may_attach(user, contact):
        deny()
    form = AttachmentsForm(request.POST, request.FILES)
    if form.is_valid() and not form.cleaned_data["files"]:
        form.add_error("files", _("Choose a file to upload."))
    if form.is_valid():
        try:
            with transaction.atomic():
                names = [
                    services.add_attachment(user, contact, upload).name
                    for upload in form.cleaned_data["files"]
                ]
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Uploaded: %(name)s") % {"name": "、".join(names)})
            return redirect(reverse("pairing:contact_detail", args=[contact.pk]) + "#attachments")
    return _render_contact(request, contact, status=400, attachment_form=form)


@login_required
def attachment_download(request, pk):
    """A contact's file, only within scope; served under its original name."""
    attachment = scope.get_or_404(request.user, ContactAttachment, pk=pk)
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


@require_POST
@login_required
def attachment_delete(request, pk):
    user = request.user
    attachment = scope.get_or_404(user, ContactAttachment, pk=pk)
    contact = attachment.contact
    allowed = (
        attachment.uploaded_by_id == user.pk
        or services.may_edit_contact(user, contact)
        or services.may_manage_pairs(user, contact.partnership)
    )
    if not allowed:
        deny()
    name = attachment.name
    services.remove_attachment(user, attachment)
    messages.success(request, _("Removed: %(name)s") % {"name": name})
    return redirect(reverse("pairing:contact_detail", args=[contact.pk]) + "#attachments")


@login_required
def contact_export(request):
    """The contact log of a month (``?month=YYYY-MM``, this month by default) of the
    partnership chosen (or of all visible ones) as xlsx."""
    _internal_only(request)
    qs, _pairs, current = partnership_filter(
        request, queries.contacts(request.user), "pair__partnership"
    )
    month = _month_param(request.GET.get("month", "")) or compliance.month_start(
        timezone.localdate()
    )
    sheets = exports.contact_log_sheets(qs, month)
    record(
        EXPORT_EVENT,
        request,
        detail=f"pairing contact log xlsx: {len(sheets[0][2])} rows, {month:%Y-%m}"
        + (f", partnership {current}" if current else ""),
    )
    name = f"work-contacts-{month:%Y-%m}" + (f"-{current}" if current else "")
    return xlsx_response(f"{name}.xlsx", sheets)


# --- Compliance -------------------------------------------------------------------------


def _compliance_scope(request):
    """(pairs, partnerships, current, year, last12, months) from the query string."""
    today = timezone.localdate()
    qs, pairs, current = partnership_filter(request, queries.department_pairs(request.user))
    last12 = request.GET.get("range") == "12"
    year = today.year
    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= today.year + 1:
        year = int(value)
    if last12:
        months = compliance.last_months(today, 12)
        first, last = months[0], months[-1]
    else:
        months = compliance.months_of_year(year)
        first, last = months[0], months[-1]
    # Pairs that existed in some shown month.
    qs = qs.filter(started_on__lte=compliance.add_months(last, 1)).exclude(ended_on__lt=first)
    return qs, pairs, current, year, last12, months


@login_required
def compliance_view(request):
    _internal_only(request)
    today = timezone.localdate()
    qs, pairs, current, year, last12, months = _compliance_scope(request)
    pair_rows = list(qs)
    grid = compliance.grid(pair_rows, months, today)
    rates = {r.pair.pk: r for r in compliance.pair_rates(pair_rows, year, today)}
    rows = []
    for row in grid:
        pair = row.pair
        rate = rates[pair.pk]
        rows.append(
            {
                "pair": pair,
                "cells": [
                    {
                        "cell": c,
                        "state": state(c.status),
                        "url": _contacts_url(pair, c.month),
                        "label": _month_label(c.month),
                    }
                    for c in row.cells
                ],
                "quarters": [rate_view(rate.quarters[q]) for q in (1, 2, 3, 4)],
                "year": rate_view(rate.year),
            }
        )
    sides = []
    for side, totals in compliance.side_rates(pair_rows, year, today).items():
        sides.append(
            {
                "label": Side(side).label,
                "quarters": [rate_view(totals.quarters[q]) for q in (1, 2, 3, 4)],
                "year": rate_view(totals.year),
                "hosted": totals.hosted,
                "recorded": totals.recorded,
                "units": [
                    {
                        "unit": u.unit,
                        "pairs": u.pairs,
                        "quarters": [rate_view(u.quarters[q]) for q in (1, 2, 3, 4)],
                        "year": rate_view(u.year),
                    }
                    for u in totals.units
                ],
            }
        )
    counts = {s: 0 for s in compliance.STATES}
    for row in grid:
        for c in row.cells:
            counts[c.status] += 1
    return render(
        request,
        "pairing/compliance.html",
        {
            "rows": rows,
            "months": [
                {"month": m, "label": _month_label(m), "short": _short_month(m, last12)}
                for m in months
            ],
            "sides": sides,
            "legend": [{**item, "count": counts[item["key"]]} for item in legend()],
            "pairs": pairs,
            "current": current,
            "year": year,
            "years": list(range(today.year, today.year - 5, -1)),
            "last12": last12,
            "range_label": (
                _("%(first)s to %(last)s")
                % {"first": _month_label(months[0]), "last": _month_label(months[-1])}
            ),
            "quarter_names": [_("Q%(q)s") % {"q": q} for q in (1, 2, 3, 4)],
            "export_query": f"year={year}" + (f"&partnership={current}" if current else ""),
        },
    )


def _short_month(month: date, with_year: bool) -> str:
    """Column heads: ``3月`` (or ``25年3月`` across years) in Chinese, ``Mar`` in English."""
    if with_year:
        return formats.date_format(month, pgettext("heatmap column", "M y"))
    return formats.date_format(month, pgettext("heatmap column", "M"))


@login_required
def compliance_export(request):
    _internal_only(request)
    qs, _pairs, current, year, _last12, _months = _compliance_scope(_without_range(request))
    sheets = exports.compliance_sheets(qs, year)
    record(
        EXPORT_EVENT,
        request,
        detail=f"pairing compliance xlsx: {len(sheets[0][2])} pairs, {year}"
        + (f", partnership {current}" if current else ""),
    )
    name = f"pairing-compliance-{year}" + (f"-{current}" if current else "")
    return xlsx_response(f"{name}.xlsx", sheets)


def _without_range(request):
    """The export is always of a calendar year."""
    if "range" in request.GET:
        request.GET = request.GET.copy()
        request.GET.pop("range")
    return request


urlpatterns = [
    path("pairs/", pair_list, name="pair_list"),
    path("pairs/new/", pair_create, name="pair_create"),
    path("pairs/<int:pk>/", pair_detail, name="pair_detail"),
    path("pairs/<int:pk>/edit/", pair_edit, name="pair_edit"),
    path("pairs/<int:pk>/end/", pair_end, name="pair_end"),
    path("settings/<int:partnership>/", settings_edit, name="settings"),
    path("contacts/", contact_list, name="contact_list"),
    path("contacts/export.xlsx", contact_export, name="contact_export"),
    path("contacts/new/", contact_create, name="contact_create"),
    path("contacts/<int:pk>/", contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/confirm/", contact_confirm, name="contact_confirm"),
    path("contacts/<int:pk>/return/", contact_return, name="contact_return"),
    path("contacts/<int:pk>/follow-ups/", follow_up_add, name="follow_up_add"),
    path("contacts/<int:pk>/attachments/", attachment_upload, name="contact_attachment_upload"),
    path("follow-ups/<int:pk>/task/", follow_up_task, name="follow_up_task"),
    path("contact-files/<int:pk>/", attachment_download, name="contact_attachment"),
    path(
        "contact-files/<int:pk>/delete/",
        attachment_delete,
        name="contact_attachment_delete",
    ),
    path("compliance/", compliance_view, name="compliance"),
    path("compliance/export.xlsx", compliance_export, name="compliance_export"),
]
