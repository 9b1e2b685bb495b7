"""Delete pages of the pairing app: a pair without work contacts (one with contacts is
ended instead), a training and an inspection visit, each after a confirmation page.
The service functions check the right again and refuse what must be kept."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from xietong.core import scope

from . import services
from .models import DepartmentPair, InspectionVisit, Training


def _deny() -> None:
    raise PermissionDenied(_("Your role does not allow this."))


def _confirm(
    request,
    obj,
    *,
    allowed: bool,
    delete: Callable,
    detail_url: str,
    list_url: str,
    warning: str,
    blocked: str = "",
    end_url: str = "",
):
    """GET shows what goes; POST deletes through the service and returns to the list."""
    if not allowed:
        _deny()
    name = str(obj)
    if request.method == "POST" and not blocked:
        try:
            delete(request.user, obj)
        except ValidationError as exc:
            blocked = " ".join(exc.messages)
        else:
            messages.success(request, _("Deleted: %(object)s") % {"object": name})
            return redirect(list_url)
    return render(
        request,
        "pairing/confirm_delete.html",
        {
            "object": obj,
            "name": name,
            "warning": warning,
            "blocked": blocked,
            "detail_url": detail_url,
            "end_url": end_url if blocked else "",
        },
        status=400 if blocked and request.method == "POST" else 200,
    )


@login_required
def pair_delete(request, pk):
    pair = scope.get_or_404(request.user, DepartmentPair, pk=pk)
    has_contacts = pair.contacts.exists()
    return _confirm(
        request,
        pair,
        allowed=services.may_manage_pairs(request.user, pair.partnership),
        delete=services.delete_pair,
        detail_url=reverse("pairing:pair_detail", args=[pair.pk]),
        list_url=reverse("pairing:pair_list") + f"?partnership={pair.partnership_id}",
        warning=_("Delete this pairing only if it was entered by mistake."),
        blocked=(
            _("This pair has work contacts: end it instead of deleting it.") if has_contacts else ""
        ),
        end_url="" if pair.ended_on else reverse("pairing:pair_end", args=[pair.pk]),
    )


@login_required
def training_delete(request, pk):
    training = scope.get_or_404(request.user, Training, pk=pk)
    return _confirm(
        request,
        training,
        allowed=services.may_manage_trainings(request.user, training.partnership),
        delete=services.delete_training,
        detail_url=reverse("pairing:training_detail", args=[training.pk]),
        list_url=reverse("pairing:training_list"),
        warning=_("Its trainees' attendance goes with it and leaves their training records."),
    )


@login_required
def visit_delete(request, pk):
    visit = scope.get_or_404(request.user, InspectionVisit, pk=pk)
    return _confirm(
        request,
        visit,
        allowed=services.may_manage_visits(request.user, visit.partnership),
        delete=services.delete_visit,
        detail_url=reverse("pairing:visit_detail", args=[visit.pk]),
        list_url=reverse("pairing:visit_list"),
        warning=_("Delete this inspection visit only if it was recorded by mistake."),
    )


urlpatterns = [
    path("pairs/<int:pk>/delete/", pair_delete, name="pair_delete"),
    path("trainings/<int:pk>/delete/", training_delete, name="training_delete"),
    path("visits/<int:pk>/delete/", visit_delete, name="visit_delete"),
]
