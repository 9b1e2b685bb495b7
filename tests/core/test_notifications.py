"""The notification centre: one's own notifications, unread counts, daily digests."""

from datetime import date

from django.core import mail
from django.urls import reverse

from xietong.core import notifications
from xietong.core.models import Notification


def _note(user, key="k1", title="任务即将到期", url=""):
    return notifications.notify(user, key=key, title=title, url=url)


def test_it_stores_a_notification_once_per_key(world):
    staff = world.users["department_staff"]
    assert _note(staff) is not None
    assert _note(staff) is None
    assert Notification.objects.filter(user=staff).count() == 1


def test_it_counts_only_unread_notifications(world):
    staff = world.users["department_staff"]
    _note(staff, "a")
    _note(staff, "b")
    Notification.objects.filter(key="b").update(read_at="2026-01-01T00:00Z")
    assert notifications.unread_count(staff) == 1


def test_it_shows_the_user_only_their_own_notifications(world, login):
    _note(world.users["department_staff"], title="给业务人员的通知")
    _note(world.users["leader"], title="给领导的通知")
    html = login(world.users["department_staff"]).get(reverse("notification_list")).content
    html = html.decode()
    assert "给业务人员的通知" in html
    assert "给领导的通知" not in html


def test_it_lists_unread_notifications_first(world, login):
    staff = world.users["department_staff"]
    old = _note(staff, "old", title="未读的旧通知")
    _note(staff, "new", title="已读的新通知")
    Notification.objects.filter(key="new").update(read_at="2026-01-01T00:00Z")
    Notification.objects.filter(pk=old.pk).update(created_at="2025-01-01T00:00Z")
    html = login(staff).get(reverse("notification_list")).content.decode()
    assert html.index("未读的旧通知") < html.index("已读的新通知")


def test_it_marks_a_notification_read_when_opened_and_follows_its_link(world, login):
    staff = world.users["department_staff"]
    note = _note(staff, url="/conference/")
    response = login(staff).post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/conference/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_it_does_not_follow_a_link_to_another_site(world, login):
    staff = world.users["department_staff"]
    note = _note(staff, url="https://evil.example.com/")
    response = login(staff).post(reverse("notification_read", args=[note.pk]))
    assert response["Location"] == reverse("notification_list")


def test_it_marks_all_read(world, login):
    staff = world.users["department_staff"]
    _note(staff, "a")
    _note(staff, "b")
    login(staff).post(reverse("notification_read"))
    assert notifications.unread_count(staff) == 0


def test_it_answers_404_for_someone_elses_notification(world, login):
    note = _note(world.users["leader"])
    response = login(world.users["department_staff"]).post(
        reverse("notification_read", args=[note.pk])
    )
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_it_refuses_to_mark_read_by_get(world, login):
    note = _note(world.users["department_staff"])
    response = login(world.users["department_staff"]).get(
        reverse("notification_read", args=[note.pk])
    )
    assert response.status_code == 405


def test_it_puts_the_unread_count_in_the_page_context(world, login):
    staff = world.users["department_staff"]
    _note(staff, "a")
    _note(staff, "b")
    response = login(staff).get(reverse("notification_list"))
    assert response.context["unread"] == 2
    assert 'data-testid="unread-count">2<' in response.content.decode()


def test_it_emails_one_digest_per_person_with_all_their_new_notifications(world):
    staff = world.users["department_staff"]
    _note(staff, "a", title="第一条")
    _note(staff, "b", title="第二条")
    assert notifications.send_digests(date(2026, 6, 1)) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [staff.email]
    assert "第一条" in mail.outbox[0].body and "第二条" in mail.outbox[0].body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_it_emails_nothing_when_nothing_is_new(world):
    assert notifications.send_digests(date(2026, 6, 1)) == 0
    assert mail.outbox == []


def test_it_sends_no_second_digest_the_same_day(world):
    from django.utils import timezone

    staff = world.users["department_staff"]
    today = timezone.localdate()
    _note(staff, "a")
    notifications.send_digests(today)
    _note(staff, "b")
    notifications.send_digests(today)
    assert len(mail.outbox) == 1
    assert Notification.objects.get(key="b").emailed_at is None
