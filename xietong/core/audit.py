"""Audit wiring: business models go to django-auditlog; sign-ins and denials to SecurityEvent.

Both logs are append-only: updates and deletes of their rows raise, whoever asks. An
account that has changed business data cannot be deleted either (deactivate it instead),
because deleting it would blank the actor of its log entries.
"""

from __future__ import annotations

import ipaddress
import time
from contextvars import ContextVar
from functools import cache

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .models import Membership, OrgUnit, Partnership, Programme, Region, SecurityEvent, User

APPEND_ONLY = "The audit log is append-only."
MASK = "********"

# The request being served, so that a log entry written later in it (after DRF has
# authenticated an API token, say) still learns who made the change.
current_request: ContextVar[HttpRequest | None] = ContextVar("xietong_request", default=None)


def mask_secret(value: str) -> str:
    """Record that a secret changed, never any part of it (auditlog's default keeps half)."""
    return value if value == "None" else MASK


@receiver(pre_save, sender=User)
def _note_password_rehash(sender, instance, update_fields=None, **kwargs):
    # Connected before auditlog registers User below, so it runs first. Django re-hashes a
    # password on sign-in when the hasher's parameters change; that is not a change of
    # the password (AbstractUser.check_password clears _password before saving).
    instance._xietong_rehash = (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
    )


@receiver(pre_log, sender=User)
def _skip_password_rehash(sender, instance, action, **kwargs):
    return not getattr(instance, "_xietong_rehash", False)


auditlog.register(Programme)
auditlog.register(Region)
auditlog.register(Partnership)
auditlog.register(OrgUnit)
auditlog.register(Membership)
auditlog.register(
    User,
    exclude_fields=["last_login"],
    mask_fields=["password"],
    mask_callable="xietong.core.audit.mask_secret",
)


@receiver(pre_save, sender=LogEntry)
def _stamp_actor(sender, instance, **kwargs):
    """The signed-in user of the current request is the actor of a new entry."""
    if instance.pk is not None or instance.actor_id is not None:
        return
    request = current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    if isinstance(user, User) and user.is_authenticated:
        instance.actor = user
        instance.actor_email = user.email or None


@receiver(pre_save, sender=LogEntry)
def _log_entries_are_never_changed(sender, instance, **kwargs):
    if instance.pk is not None and LogEntry.objects.filter(pk=instance.pk).exists():
        raise PermissionError(APPEND_ONLY)


@receiver(pre_delete, sender=LogEntry)
def _log_entries_are_never_deleted(sender, instance, **kwargs):
    raise PermissionError(APPEND_ONLY)


@receiver(pre_delete, sender=SecurityEvent)
def _security_events_are_never_deleted(sender, instance, **kwargs):
    # SecurityEvent.delete() raises too; this receiver also stops QuerySet.delete(), which
    # would otherwise delete in bulk without calling it.
    raise PermissionError("Security events are append-only.")


@receiver(pre_delete, sender=User)
def _actors_are_kept(sender, instance, **kwargs):
    if LogEntry.objects.filter(actor=instance).exists():
        raise ProtectedError(
            _("%(user)s has changed records in the audit log; deactivate the account instead.")
            % {"user": instance},
            {instance},
        )


@cache
def _networks(items: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in items)


def _trusted_proxies() -> tuple:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For when a trusted proxy sent it.

    X-Forwarded-For is read from the right, skipping trusted proxies, so a client cannot
    choose the address recorded against it by sending the header itself.
    """
    if request is None:
        return None
    remote = _ip(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return None
    proxies = _trusted_proxies()
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and any(remote in net for net in proxies):
        for hop in reversed(forwarded.split(",")):
            address = _ip(hop)
            if address is None:
                break
            if not any(address in net for net in proxies):
                return str(address)
    return str(remote)


def record(kind: str, request=None, *, user=None, username: str = "", detail: str = "") -> None:
    """Append a security event for ``request`` (sign-in, denial, token, …)."""
    if user is None and request is not None and getattr(request, "user", None):
        user = request.user if request.user.is_authenticated else None
    SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.get_username() if user else ""),
        ip=client_ip(request),
        path=(request.get_full_path()[:300] if request is not None else ""),
        detail=detail[:300],
    )


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record(SecurityEvent.Kind.LOGIN, request, user=user)
    # Start the session clocks (core.middleware.SessionTimeoutMiddleware) at sign-in.
    # API token sign-ins come with a DRF request and have no session to time.
    if isinstance(request, HttpRequest) and hasattr(request, "session"):
        from .middleware import SESSION_SEEN, SESSION_STARTED

        now = int(time.time())
        request.session[SESSION_STARTED] = now
        request.session[SESSION_SEEN] = now


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    reason = getattr(request, "session_expired", "") if request is not None else ""
    record(SecurityEvent.Kind.LOGOUT, request, user=user, detail=reason or "")


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    record(SecurityEvent.Kind.LOGIN_FAILED, request, user=user, username=username)


@receiver(user_locked_out)
def _on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(SecurityEvent.Kind.LOCKED_OUT, request, username=str(username or "")[:150])


def lockout_response(request, original_response=None, credentials=None):
    """What a locked account sees (AXES_LOCKOUT_CALLABLE): JSON for the API, else a page."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed sign-in attempts: this account is locked for %(minutes)d minutes."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
