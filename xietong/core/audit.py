"""Audit wiring: business models go to django-auditlog; sign-ins and denials to SecurityEvent.

Both logs are append-only: updates and deletes of their rows raise, whoever asks.
"""

from __future__ import annotations

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from .models import Membership, OrgUnit, Partnership, Programme, Region, SecurityEvent, User

auditlog.register(Programme)
auditlog.register(Region)
auditlog.register(Partnership)
auditlog.register(OrgUnit)
auditlog.register(Membership)
auditlog.register(User, exclude_fields=["password", "last_login"])


@receiver(pre_save, sender=LogEntry)
def _log_entries_are_never_changed(sender, instance, **kwargs):
    if instance.pk is not None and LogEntry.objects.filter(pk=instance.pk).exists():
        raise PermissionError("The audit log is append-only.")


@receiver(pre_delete, sender=LogEntry)
def _log_entries_are_never_deleted(sender, instance, **kwargs):
    raise PermissionError("The audit log is append-only.")


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    record(SecurityEvent.Kind.LOGOUT, request, user=user)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = User.objects.filter(username=username).first()
    record(SecurityEvent.Kind.LOGIN_FAILED, request, user=user, username=username)


@receiver(user_locked_out)
def _on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(SecurityEvent.Kind.LOCKED_OUT, request, username=str(username or "")[:150])
