"""Pages of postings (list, form, detail with its workflow, interest and suggestions),
matches (list, detail, stats) and the search over the five databases. Thin: the rules are
in postings.py, matches.py, suggestions.py and search.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from xietong.core import scope

from . import forms, matches, postings, queries, search, suggestions
from .models import Enterprise, Interest, Match, Posting, Suggestion


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


# --- Postings -------------------------------------------------------------------------------


@require_safe
@login_required
def posting_list(request):
    if not queries.reach(request.user).anything:
        raise Http404
    qs = scope.queryset(request.user, Posting)
    params = request.GET
    r = queries.reach(request.user)
    if params.get("mine"):
        qs = qs.filter(Q(created_by=request.user) | Q(enterprise_id__in=r.enterprises))
    if params.get("review"):
        sides = Q(pk__in=[])
        for pair_id, side_id in r.staff_sides:
            sides |= Q(partnership_id=pair_id, side_id=side_id)
        qs = qs.filter(sides if not r.admin else Q(), status=Posting.Status.SUBMITTED).exclude(
            created_by=request.user
        )
    for name, choices in (
        ("status", Posting.Status.values),
        ("kind", Posting.Kind.values),
        ("direction", Posting.Direction.values),
    ):
        if params.get(name) in choices:
            qs = qs.filter(**{name: params[name]})
    text = params.get("q", "").strip()
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(subject__icontains=text))
    return render(
        request,
        "enterprise/posting_list.html",
        {
            "postings": qs[:200],
            "may_post": bool(postings.posting_places(request.user)),
            "statuses": Posting.Status.choices,
            "kinds": Posting.Kind.choices,
            "directions": Posting.Direction.choices,
            "params": params,
        },
    )


def _posting_form(request, instance=None):
    form = forms.PostingForm(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        posting = form.save(commit=False)
        try:
            if instance is None:
                postings.create(request.user, posting)
            else:
                postings.edit(request.user, posting)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            if request.POST.get("then") == "submit":
                try:
                    postings.submit(request.user, posting)
                    messages.success(request, _("Submitted for review."))
                except ValidationError as exc:
                    messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("Saved: %(object)s") % {"object": posting})
            return redirect("enterprise:posting_detail", posting.pk)
    return render(request, "enterprise/posting_form.html", {"form": form, "object": instance})


@login_required
def posting_create(request):
    if not postings.posting_places(request.user):
        if not queries.reach(request.user).anything:
            raise Http404
        raise PermissionDenied(_("Your role does not post supply or demand."))
    return _posting_form(request)


@login_required
def posting_edit(request, pk: int):
    posting = scope.get_or_404(request.user, Posting, pk=pk)
    if not postings.may_edit(request.user, posting):
        raise PermissionDenied(_("Only drafts and returned postings are edited, by the poster."))
    return _posting_form(request, posting)


@login_required
def posting_detail(request, pk: int):
    user = request.user
    posting = scope.get_or_404(user, Posting, pk=pk)
    interests = []
    if postings.may_answer_interest(user, posting):
        interests = list(posting.interests.select_related("user", "enterprise"))
    own_interest = posting.interests.filter(user=user).first()
    visible_matches = matches.visible(user).filter(posting=posting)
    return render(
        request,
        "enterprise/posting_detail.html",
        {
            "posting": posting,
            "contact": postings.contact_for(user, posting, request),
            "events": posting.events.select_related("actor"),
            "may_edit": postings.may_edit(user, posting),
            "may_submit": posting.editable
            and (postings.is_poster(user, posting) or postings.is_staff_of(user, posting)),
            "may_review": postings.may_review(user, posting),
            "may_close": postings.may_close(user, posting),
            "may_interest": postings.may_express_interest(user, posting) and not own_interest,
            "own_interest": own_interest,
            "interests": interests,
            "suggestions": suggestions.visible_suggestions(user, posting)
            if posting.status in (Posting.Status.PUBLISHED, Posting.Status.CLOSED)
            else [],
            "may_propose": matches.may_propose(user, posting),
            "matches": visible_matches,
            "review_form": forms.PostingReviewForm(),
            "interest_form": forms.InterestForm(),
        },
    )


@require_POST
@login_required
def posting_action(request, pk: int, action: str):
    user = request.user
    posting = scope.get_or_404(user, Posting, pk=pk)
    data = request.POST
    try:
        if action == "submit":
            postings.submit(user, posting)
            messages.success(request, _("Submitted for review."))
        elif action == "review":
            form = forms.PostingReviewForm(data)
            if not form.is_valid():
                raise ValidationError(_("Choose approve or return."))
            approve = form.cleaned_data["decision"] == "approve"
            postings.review(user, posting, approve=approve, reason=form.cleaned_data["reason"])
            messages.success(request, _("Approved.") if approve else _("Returned."))
        elif action == "close":
            postings.close(user, posting, data.get("outcome", ""), data.get("note", ""))
            messages.success(request, _("The posting is closed."))
        elif action == "renew":
            until = parse_date(data.get("valid_until", "") or "")
            if until is None:
                raise ValidationError(_("Give the new end of validity (YYYY-MM-DD)."))
            postings.renew(user, posting, until)
            messages.success(request, _("The posting is renewed."))
        elif action == "interest":
            postings.express_interest(user, posting, data.get("message", ""))
            messages.success(request, _("Your interest was sent to the poster."))
        elif action == "suggest":
            if not (postings.is_staff_of(user, posting) or postings.is_poster(user, posting)):
                raise PermissionDenied(_("Your role does not allow this."))
            suggestions.refresh(posting)
            messages.success(request, _("Suggestions recomputed."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:posting_detail", posting.pk)


@require_POST
@login_required
def interest_answer(request, pk: int):
    interest = Interest.objects.select_related("posting").filter(pk=pk).first()
    if interest is None:
        raise Http404
    scope.get_or_404(request.user, Posting, pk=interest.posting_id)
    try:
        postings.answer_interest(
            request.user, interest, accept=request.POST.get("decision") == "accept"
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("enterprise:posting_detail", interest.posting_id)


# --- Matches --------------------------------------------------------------------------------


@require_POST
@login_required
def match_propose(request, pk: int):
    posting = scope.get_or_404(request.user, Posting, pk=pk)
    suggestion = None
    enterprise = None
    if request.POST.get("suggestion"):
        suggestion = Suggestion.objects.filter(
            pk=request.POST["suggestion"], posting=posting
        ).first()
        if suggestion is None:
            raise Http404
        # The counterpart must be visible to the one who proposes.
        if suggestion.enterprise_id:
            scope.get_or_404(request.user, Enterprise, pk=suggestion.enterprise_id)
        if suggestion.other_posting_id:
            scope.get_or_404(request.user, Posting, pk=suggestion.other_posting_id)
    elif request.POST.get("enterprise"):
        enterprise = scope.get_or_404(request.user, Enterprise, pk=request.POST["enterprise"])
    try:
        match = matches.propose(request.user, posting, suggestion=suggestion, enterprise=enterprise)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("enterprise:posting_detail", posting.pk)
    messages.success(request, _("Match proposed."))
    return redirect("enterprise:match_detail", match.pk)


@require_safe
@login_required
def match_list(request):
    if not queries.reach(request.user).anything:
        raise Http404
    qs = scope.queryset(request.user, Match)
    status = request.GET.get("status", "")
    if status in Match.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "enterprise/match_list.html",
        {"matches": qs[:200], "statuses": Match.Status.choices, "status": status},
    )


@login_required
def match_detail(request, pk: int):
    match = scope.get_or_404(request.user, Match, pk=pk)
    form = forms.MatchAdvanceForm(request.POST or None, match=match)
    if request.method == "POST":
        if not matches.may_move(request.user, match):
            raise PermissionDenied(_("Only the parties or staff of the pair update a match."))
        if request.POST.get("rating"):
            try:
                matches.rate(request.user, match, request.POST["rating"])
                messages.success(request, _("Thank you, the follow-up is recorded."))
                return redirect("enterprise:match_detail", match.pk)
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
        elif form.is_valid():
            try:
                matches.advance(
                    request.user,
                    match,
                    form.cleaned_data["status"],
                    contract_value=form.cleaned_data["contract_value"],
                    deal_date=form.cleaned_data["deal_date"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for field, errs in getattr(exc, "message_dict", {None: exc.messages}).items():
                    key = {"no_deal_reason": "reason"}.get(field, field)
                    form.add_error(key if key in form.fields else None, errs)
            else:
                messages.success(request, _("The match is updated."))
                return redirect("enterprise:match_detail", match.pk)
    return render(
        request,
        "enterprise/match_detail.html",
        {
            "match": match,
            "form": form,
            "may_move": matches.may_move(request.user, match) and match.status not in matches.FINAL,
            "may_rate": matches.may_move(request.user, match) and match.follow_up_asked_on,
            "ratings": Match.Rating.choices,
            "events": _labelled(match.events.select_related("actor")),
        },
    )


def _labelled(events):
    """Match events with their statuses as the user reads them (labels, not codes)."""
    labels = dict(Match.Status.choices)
    out = list(events)
    for event in out:
        event.from_label = labels.get(event.from_status, event.from_status)
        event.to_label = labels.get(event.to_status, event.to_status)
    return out


@require_safe
@login_required
def match_stats(request):
    r = queries.reach(request.user)
    if not (r.admin or r.whole_pairs or r.staff_sides):
        if not r.anything:
            raise Http404
        raise PermissionDenied(_("The figures are for coordinators and department staff."))
    data = matches.stats(scope.queryset(request.user, Match))
    return render(request, "enterprise/match_stats.html", {"stats": data})


# --- Search ---------------------------------------------------------------------------------


@require_safe
@login_required
def search_page(request):
    if not queries.reach(request.user).anything:
        raise Http404
    form = forms.SearchForm(request.GET or None, user=request.user)
    results = None
    if form.is_valid() and any(v for v in form.cleaned_data.values()):
        results = search.search(request.user, **form.cleaned_data)
    return render(request, "enterprise/search.html", {"form": form, "results": results})


urlpatterns = [
    path("postings/", posting_list, name="posting_list"),
    path("postings/new/", posting_create, name="posting_create"),
    path("postings/<int:pk>/", posting_detail, name="posting_detail"),
    path("postings/<int:pk>/edit/", posting_edit, name="posting_edit"),
    path("postings/<int:pk>/match/", match_propose, name="match_propose"),
    path("postings/<int:pk>/<str:action>/", posting_action, name="posting_action"),
    path("interests/<int:pk>/answer/", interest_answer, name="interest_answer"),
    path("matches/", match_list, name="match_list"),
    path("matches/stats/", match_stats, name="match_stats"),
    path("matches/<int:pk>/", match_detail, name="match_detail"),
    path("search/", search_page, name="search"),
]
