"""Pages of the notification centre: one's own notifications, unread first.

A notification belongs to one person: anyone else's is a 404, whatever the role. Opening a
notification marks it read and follows its link; "mark all read" clears the badge.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import notifications
from .models import Notification


def unread_notifications(request) -> dict:
    """Context processor: the signed-in user's unread count, for the navbar badge."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_notifications": notifications.unread_count(user)}


@require_safe
@login_required
def notification_list(request):
    qs = Notification.objects.filter(user=request.user).order_by(
        F("read_at").desc(nulls_first=True), "-created_at", "-pk"
    )
    if request.GET.get("show") == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "core/notifications.html",
        {
            "page": page,
            "unread": notifications.unread_count(request.user),
            "show": request.GET.get("show", ""),
            "querystring": params.urlencode(),
        },
    )


@require_POST
@login_required
def notification_read(request, pk: int | None = None):
    """Mark one notification read and open its link, or (without ``pk``) mark all read."""
    if pk is None:
        count = notifications.mark_read(request.user)
        if count:
            messages.success(request, _("All notifications marked as read."))
        return redirect("notification_list")
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications.mark_read(request.user, note.pk)
    target = note.url
    if request.POST.get("stay") or not target:
        return redirect("notification_list")
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(reverse("notification_list"))
    return redirect(target)
