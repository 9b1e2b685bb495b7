"""Postings: workflow and who may do each step, partner-first window at its boundary,
gated contact, the daily job (reminder once, expiry), scope of pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from xietong.core import scope
from xietong.core.models import Notification, SecurityEvent
from xietong.enterprise import postings
from xietong.enterprise.models import Interest, Posting, PostingEvent, PostingSettings

S = Posting.Status


def draft(user, enterprise, **over) -> Posting:
    today = timezone.localdate()
    values = {
        "partnership": enterprise.partnership,
        "side": enterprise.side,
        "enterprise": enterprise,
        "kind": Posting.Kind.ORDER,
        "direction": Posting.Direction.DEMAND,
        "title": "采购不锈钢焊管一批",
        "subject": "焊管",
        "quantity": 500,
        "unit": "吨",
        "delivery_period": "2027年6月前",
        "valid_from": today,
        "valid_until": today + timedelta(days=60),
        "contact_name": "王经理",
        "contact_phone": "13812345678",
        "contact_email": "wang@example.cn",
    }
    values.update(over)
    return postings.create(user, Posting(**values))


def published(people, firms, **over) -> Posting:
    posting = draft(people["wz_ent"], firms.wz_internal, **over)
    postings.submit(people["wz_ent"], posting)
    return postings.review(people["wz_staff"], posting, approve=True)


# --- Workflow -------------------------------------------------------------------------------


def test_enterprise_posts_staff_of_its_side_approves_and_it_is_published(people, firms):
    ent, staff = people["wz_ent"], people["wz_staff"]
    posting = draft(ent, firms.wz_internal)
    assert posting.status == S.DRAFT
    posting = postings.submit(ent, posting)
    assert posting.status == S.SUBMITTED
    assert Notification.objects.filter(user=staff, title__contains=posting.title).exists()
    # The other side's staff, and the poster, do not review.
    with pytest.raises(PermissionDenied):
        postings.review(people["lj_staff"], posting, approve=True)
    with pytest.raises(PermissionDenied, match="posted yourself"):
        postings.review(ent, posting, approve=True)
    posting = postings.review(staff, posting, approve=True)
    assert posting.status == S.PUBLISHED and posting.published_at is not None
    assert posting.reviewed_by == staff
    kinds = list(posting.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("created", "", "draft"),
        ("submitted", "draft", "submitted"),
        ("approved", "submitted", "approved"),
        ("published", "approved", "published"),
    ]
    titles = set(Notification.objects.filter(user=ent).values_list("title", flat=True))
    assert f"Your posting was approved: {posting.title}" in titles
    assert f"Your posting is published: {posting.title}" in titles


def test_staff_never_approve_their_own_posting(people, firms):
    staff, coord = people["lj_staff"], people["lj_coord"]
    posting = draft(staff, firms.lj_internal)
    postings.submit(staff, posting)
    with pytest.raises(PermissionDenied, match="posted yourself"):
        postings.review(staff, posting, approve=True)
    assert postings.review(coord, posting, approve=True).status == S.PUBLISHED


def test_return_needs_a_reason_then_edit_and_resubmit(people, firms):
    ent, staff = people["wz_ent"], people["wz_staff"]
    posting = postings.submit(ent, draft(ent, firms.wz_internal))
    with pytest.raises(ValidationError, match="reason"):
        postings.review(staff, posting, approve=False, reason="  ")
    posting = postings.review(staff, posting, approve=False, reason="请补充技术要求")
    assert posting.status == S.RETURNED and posting.return_reason == "请补充技术要求"
    assert Notification.objects.filter(user=ent, body="请补充技术要求").exists()
    posting.technical_requirements = "GB/T 12771"
    postings.edit(ent, posting)
    assert postings.submit(ent, posting).status == S.SUBMITTED
    # Only drafts and returned postings are edited.
    with pytest.raises(PermissionDenied):
        postings.edit(ent, posting)


def test_future_validity_waits_for_the_daily_job(people, firms):
    ent = people["wz_ent"]
    start = timezone.localdate() + timedelta(days=5)
    posting = postings.submit(
        ent, draft(ent, firms.wz_internal, valid_from=start, valid_until=start + timedelta(30))
    )
    posting = postings.review(people["wz_staff"], posting, approve=True)
    assert posting.status == S.APPROVED
    assert postings.run_daily(start - timedelta(days=1))["published"] == 0
    assert postings.run_daily(start)["published"] == 1
    assert Posting.objects.get(pk=posting.pk).status == S.PUBLISHED


def test_each_kind_requires_its_fields(people, firms):
    with pytest.raises(ValidationError) as exc:
        draft(people["wz_ent"], firms.wz_internal, quantity=None, unit="")
    assert set(exc.value.message_dict) == {"quantity", "unit"}
    with pytest.raises(ValidationError) as exc:
        draft(people["wz_ent"], firms.wz_internal, kind=Posting.Kind.INVESTMENT)
    assert set(exc.value.message_dict) == {"budget", "location"}
    ok = draft(
        people["wz_ent"], firms.wz_internal, kind=Posting.Kind.INVESTMENT, budget=8000,
        location="万州经开区",
    )  # fmt: skip
    assert ok.pk


def test_enterprise_user_posts_only_for_its_own_enterprise(people, firms):
    with pytest.raises(PermissionDenied):
        draft(people["wz_ent"], firms.wz_shared)
    with pytest.raises(PermissionDenied):
        draft(people["lj_staff"], firms.wz_internal)  # the other side


def test_close_fulfilled_or_withdrawn_by_poster_or_staff_not_by_others(people, firms):
    posting = published(people, firms)
    with pytest.raises(PermissionDenied):
        postings.close(people["lj_ent"], posting, Posting.Outcome.WITHDRAWN)
    with pytest.raises(ValidationError):
        postings.close(people["wz_ent"], posting, Posting.Outcome.EXPIRED)
    closed = postings.close(people["wz_ent"], posting, Posting.Outcome.FULFILLED)
    assert (closed.status, closed.outcome) == (S.CLOSED, "fulfilled")
    with pytest.raises(ValidationError, match="already closed"):
        postings.close(people["wz_staff"], closed, Posting.Outcome.WITHDRAWN)


# --- Partner first ---------------------------------------------------------------------------


def test_demand_is_shown_to_the_partner_side_first_then_to_both_sides(people, firms):
    PostingSettings.objects.create(partnership=firms.wz_internal.partnership, partner_first_days=3)
    posting = published(people, firms)
    at = posting.published_at
    window = timedelta(days=3)

    def sees(user, now):
        user = type(user).objects.get(pk=user.pk)  # fresh reach cache
        return postings.visible(user, now).filter(pk=posting.pk).exists()

    # The partner side (两江) sees it at once.
    assert sees(people["lj_ent"], at)
    # 万州's other enterprise: not before the window is over, from its end on.
    assert not sees(people["wz_ent2"], at + window - timedelta(seconds=1))
    assert sees(people["wz_ent2"], at + window)
    # Staff of its own side always.
    assert sees(people["wz_staff"], at)


def test_partner_only_visibility_never_reaches_own_side_enterprises(people, firms):
    posting = published(people, firms, visibility=Posting.Visibility.PARTNER)
    later = posting.published_at + timedelta(days=365)
    assert not postings.visible(people["wz_ent2"], later).filter(pk=posting.pk).exists()
    assert postings.visible(people["lj_ent"], later).filter(pk=posting.pk).exists()


def test_supply_has_no_window(people, firms):
    posting = published(people, firms, direction=Posting.Direction.SUPPLY)
    assert postings.visible(people["wz_ent2"], posting.published_at).filter(pk=posting.pk).exists()


def test_drafts_stay_with_their_side_and_other_pairs_get_404(people, firms, client):
    posting = draft(people["wz_ent"], firms.wz_internal)
    assert not postings.visible(people["lj_ent"]).filter(pk=posting.pk).exists()
    assert not postings.visible(people["lj_staff"]).filter(pk=posting.pk).exists()
    assert not postings.visible(people["wz_staff"]).filter(pk=posting.pk).exists()  # a draft
    url = reverse("enterprise:posting_detail", args=[posting.pk])
    postings.submit(people["wz_ent"], posting)
    client.force_login(people["wz_staff"])
    assert client.get(url).status_code == 200
    for name in ("b_staff", "lj_ent"):
        client.force_login(people[name])
        assert client.get(url).status_code == 404, name
    client.force_login(people["wz_ent"])
    page = client.get(url)
    assert page.status_code == 200 and posting.title in page.content.decode()


def test_scope_registers_postings(people, firms):
    posting = published(people, firms)
    assert scope.queryset(people["lj_ent"], Posting).filter(pk=posting.pk).exists()
    assert not scope.queryset(people["b_staff"], Posting).filter(pk=posting.pk).exists()


# --- Gated contact ---------------------------------------------------------------------------


def test_contact_is_revealed_only_after_the_poster_accepts(people, firms, client):
    posting = published(people, firms)
    buyer = people["lj_ent"]
    masked = postings.contact_for(buyer, posting)
    assert masked == {
        "name": "王**",
        "phone": "138****5678",
        "email": "w***@example.cn",
        "revealed": False,
    }
    client.force_login(buyer)
    url = reverse("enterprise:posting_detail", args=[posting.pk])
    assert "13812345678" not in client.get(url).content.decode()
    client.post(
        reverse("enterprise:posting_action", args=[posting.pk, "interest"]),
        {"message": "我司可供货"},
    )
    interest = Interest.objects.get(posting=posting, user=buyer)
    assert interest.enterprise == firms.lj_shared
    assert "13812345678" not in client.get(url).content.decode()
    # Only the poster answers.
    with pytest.raises(PermissionDenied):
        postings.answer_interest(buyer, interest, accept=True)
    postings.answer_interest(people["wz_ent"], interest, accept=True)
    page = client.get(url).content.decode()
    assert "13812345678" in page and "wang@example.cn" in page
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.UNMASK, detail__contains=f"posting {posting.pk}"
    ).exists()
    assert Notification.objects.filter(user=buyer, title__contains="对接意向已被接受").exists()


def test_declined_interest_keeps_contact_masked(people, firms):
    posting = published(people, firms)
    interest = postings.express_interest(people["lj_ent"], posting, "有意向")
    with pytest.raises(ValidationError):
        postings.express_interest(people["lj_ent"], posting, "再次")
    postings.answer_interest(people["wz_staff"], interest, accept=False)
    assert postings.contact_for(people["lj_ent"], posting)["revealed"] is False


# --- The daily job ---------------------------------------------------------------------------


def test_reminder_once_then_expiry_and_runs_twice_safely(people, firms):
    today = timezone.localdate()
    posting = published(people, firms, valid_until=today + timedelta(days=3))
    ent = people["wz_ent"]
    first = postings.run_daily(today)
    second = postings.run_daily(today)
    assert (first["reminded"], second["reminded"]) == (1, 0)
    assert posting.events.filter(kind=PostingEvent.Kind.REMINDED).count() == 1
    reminders = Notification.objects.filter(user=ent, title__startswith="Your posting expires")
    assert reminders.count() == 1
    # Not reminded again on a later day either.
    assert postings.run_daily(today + timedelta(days=1))["reminded"] == 0
    after = today + timedelta(days=4)
    assert postings.run_daily(after)["expired"] == 1
    assert postings.run_daily(after)["expired"] == 0
    posting.refresh_from_db()
    assert (posting.status, posting.outcome) == (S.CLOSED, "expired")
    assert posting.events.filter(kind=PostingEvent.Kind.CLOSED).count() == 1


def test_renewal_resets_the_reminder(people, firms):
    today = timezone.localdate()
    posting = published(people, firms, valid_until=today + timedelta(days=3))
    postings.run_daily(today)
    posting = postings.renew(people["wz_ent"], posting, today + timedelta(days=90))
    assert posting.reminder_sent_on is None
    with pytest.raises(ValidationError):
        postings.renew(people["wz_ent"], posting, today)


# --- Pages -----------------------------------------------------------------------------------


def test_pages_create_submit_review(people, firms, client):
    client.force_login(people["wz_ent"])
    today = timezone.localdate()
    form = client.get(reverse("enterprise:posting_create"))
    assert form.status_code == 200
    where = f"{firms.wz_internal.partnership_id}:{firms.wz_internal.side_id}:{firms.wz_internal.pk}"
    response = client.post(
        reverse("enterprise:posting_create"),
        {
            "where": where,
            "kind": "processing",
            "direction": "demand",
            "title": "寻求精密铸件配套加工",
            "subject": "精密铸件",
            "quantity": "2000",
            "unit": "件",
            "technical_requirements": "壁厚公差±0.1mm",
            "delivery_period": "三个月",
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "visibility": "both",
            "contact_name": "李工",
            "contact_phone": "13700001111",
            "then": "submit",
        },
    )
    posting = Posting.objects.get(title="寻求精密铸件配套加工")
    assert response.status_code == 302
    assert posting.status == S.SUBMITTED and posting.enterprise == firms.wz_internal
    # A missing kind field is reported on the field.
    bad = client.post(
        reverse("enterprise:posting_create"),
        {"where": where, "kind": "order", "direction": "demand", "title": "x", "subject": "y",
         "valid_from": today.isoformat(), "valid_until": today.isoformat(),
         "visibility": "both", "contact_name": "a", "contact_phone": "1"},
    )  # fmt: skip
    assert bad.status_code == 200 and "类供需信息须填写此项" in bad.content.decode()
    client.force_login(people["wz_staff"])
    listing = client.get(reverse("enterprise:posting_list") + "?review=1").content.decode()
    assert "寻求精密铸件配套加工" in listing
    client.post(
        reverse("enterprise:posting_action", args=[posting.pk, "review"]),
        {"decision": "approve", "reason": ""},
    )
    posting.refresh_from_db()
    assert posting.status == S.PUBLISHED
    # The enterprise user cannot review through the page either.
    other = postings.submit(people["wz_ent"], draft(people["wz_ent"], firms.wz_internal))
    client.force_login(people["lj_staff"])
    client.post(
        reverse("enterprise:posting_action", args=[other.pk, "review"]),
        {"decision": "approve"},
    )
    other.refresh_from_db()
    assert other.status == S.SUBMITTED


def test_staff_post_for_their_side_naming_one_of_its_enterprises(people, firms, client):
    client.force_login(people["lj_staff"])
    page = client.get(reverse("enterprise:posting_create"))
    choices = list(page.context["form"].fields["enterprise_choice"].queryset)
    assert firms.lj_internal in choices and firms.wz_internal not in choices
    pair = firms.lj_internal.partnership
    today = timezone.localdate()
    data = {
        "where": f"{pair.pk}:{firms.lj_internal.side_id}:",
        "kind": "technology",
        "direction": "supply",
        "title": "汽车电子检测技术服务",
        "subject": "汽车电子检测",
        "technical_requirements": "EMC 实验室",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(),
        "visibility": "partner",
        "contact_name": "张伟",
        "contact_phone": "13983000000",
    }
    client.post(
        reverse("enterprise:posting_create"),
        {**data, "enterprise_choice": firms.lj_internal.pk},
    )
    posting = Posting.objects.get(title="汽车电子检测技术服务")
    assert (posting.enterprise, posting.side, posting.status) == (
        firms.lj_internal,
        firms.lj_internal.side,
        S.DRAFT,
    )
    bad = client.post(
        reverse("enterprise:posting_create"),
        {**data, "title": "x", "enterprise_choice": firms.wz_internal.pk},
    )
    assert bad.status_code == 200 and not Posting.objects.filter(title="x").exists()
    # Another pair's staff may not post here at all.
    client.force_login(people["lj_ent"])
    assert client.get(reverse("enterprise:posting_create")).status_code == 200
    client.force_login(people["b_staff"])
    assert client.get(reverse("enterprise:posting_list")).status_code == 200
