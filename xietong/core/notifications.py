"""The notification centre: messages for one person, shown with an unread count and
e-mailed as one digest per person per day.

Any app calls ``notify``; the key makes it idempotent (the same reminder for the same day
is stored once, whoever asks how often). The daily job calls ``send_digests``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Notification, User

KEY_LENGTH = Notification._meta.get_field("key").max_length
TITLE_LENGTH = Notification._meta.get_field("title").max_length
URL_LENGTH = Notification._meta.get_field("url").max_length


def notify(
    user: User, *, key: str, title: str, body: str = "", url: str = ""
) -> Notification | None:
    """Store a notification for ``user`` once per ``key``; None if it was already there
    (or the account is inactive)."""
    if user is None or not user.is_active:
        return None
    if len(key) > KEY_LENGTH:
        raise ValueError(f"Notification key longer than {KEY_LENGTH} characters: {key}")
    if Notification.objects.filter(user=user, key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                user=user, key=key, title=title[:TITLE_LENGTH], body=body, url=url[:URL_LENGTH]
            )
    except IntegrityError:  # a concurrent run stored it first
        return None


def unread_count(user: User) -> int:
    if not user or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user: User, pk: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tz)


def _absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _digest(user: User, notes: list[Notification]) -> mail.EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Xietong: %(count)d new notification",
            "Xietong: %(count)d new notifications",
            len(notes),
        ) % {"count": len(notes)}
        lines = [_("Dear %(name)s,") % {"name": user.display_name}, ""]
        for note in notes:
            lines.append(f"• {note.title}")
            if note.body:
                lines.append(f"  {note.body}")
            if note.url:
                lines.append(f"  {_absolute(note.url)}")
        lines += ["", _("This is the daily digest of your notifications on Xietong.")]
    return mail.EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def send_digests(today: date) -> int:
    """E-mail each person one digest of the notifications not yet e-mailed; returns how
    many digests were sent. Nothing is sent to whoever has nothing new, nor twice a day:
    a person who already had a digest today gets the rest tomorrow."""
    start, end = _day_bounds(today)
    already = Notification.objects.filter(emailed_at__gte=start, emailed_at__lt=end).values(
        "user_id"
    )
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True, user__is_active=True, read_at__isnull=True
        )
        .exclude(user__email="")
        .exclude(user_id__in=already)
        .select_related("user")
        .order_by("user_id", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = {}
    for note in pending:
        by_user.setdefault(note.user_id, []).append(note)
    if not by_user:
        return 0
    sent = 0
    with mail.get_connection() as connection:
        for notes in by_user.values():
            message = _digest(notes[0].user, notes)
            message.connection = connection
            message.send()
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
                emailed_at=timezone.now()
            )
            sent += 1
    return sent
