"""Enterprise users' profile changes: proposed, reviewed by their side, diff shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import UserFactory
from xietong.core.models import Membership, Notification, Role
from xietong.enterprise import services
from xietong.enterprise.models import ChangeRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(world):
    """Department staff of 万州区, the enterprise user's side."""
    user = UserFactory(username="wz_reviewer")
    Membership.objects.create(user=user, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    return user


def proposal(firms, **over):
    values = services.profile_values(firms.wz_internal)
    values.update(over)
    return values


def test_a_proposal_waits_and_the_reviewer_is_notified(world, firms, reviewer):
    change = services.submit_change(
        world.users["enterprise_user"],
        firms.wz_internal,
        proposal(firms, address="万州区新地址1号"),
    )
    firms.wz_internal.refresh_from_db()
    assert firms.wz_internal.address == ""  # not live yet
    assert change.status == ChangeRequest.Status.PENDING
    assert Notification.objects.filter(user=reviewer, url__endswith=f"/{change.pk}/").exists()


def test_the_reviewer_sees_the_diff_and_approval_makes_it_live(world, firms, reviewer, login):
    change = services.submit_change(
        world.users["enterprise_user"],
        firms.wz_internal,
        proposal(firms, address="万州区新地址1号", main_products=[{"name": "榨菜", "share": "70"}]),
    )
    client = login(reviewer)
    page = client.get(reverse("enterprise:change_detail", args=[change.pk])).content.decode()
    assert "万州区新地址1号" in page and "榨菜（70%）" in page and 'data-testid="approve"' in page
    response = client.post(
        reverse("enterprise:change_detail", args=[change.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    ent = firms.wz_internal
    ent.refresh_from_db()
    assert ent.address == "万州区新地址1号" and ent.version == 2
    assert [(p.name, str(p.share)) for p in ent.main_products.all()] == [("榨菜", "70.00")]
    assert Notification.objects.filter(
        user=world.users["enterprise_user"], key=f"enterprise-change-{change.pk}-approved"
    ).exists()


def test_rejection_needs_a_reason_and_changes_nothing(world, firms, reviewer):
    change = services.submit_change(
        world.users["enterprise_user"], firms.wz_internal, proposal(firms, employees=99)
    )
    with pytest.raises(ValidationError):
        services.review_change(reviewer, change, approve=False)
    services.review_change(reviewer, change, approve=False, reason="从业人数与社保数据不符")
    firms.wz_internal.refresh_from_db()
    assert firms.wz_internal.employees is None
    assert ChangeRequest.objects.get().reason == "从业人数与社保数据不符"


@pytest.mark.parametrize("role", ["department_staff", "partnership_coordinator", "enterprise_user"])
def test_only_staff_of_the_enterprises_side_review(world, firms, role):
    """两江新区's staff see nothing of 万州's internal enterprise; the enterprise cannot
    approve its own change."""
    change = services.submit_change(
        world.users["enterprise_user"], firms.wz_internal, proposal(firms, employees=5)
    )
    with pytest.raises(PermissionDenied):
        services.review_change(world.users[role], change, approve=True)


def test_the_other_sides_staff_get_a_404_on_the_request(world, firms, login):
    change = services.submit_change(
        world.users["enterprise_user"], firms.wz_internal, proposal(firms, employees=5)
    )
    client = login(world.users["department_staff"])
    assert client.get(reverse("enterprise:change_detail", args=[change.pk])).status_code == 404


def test_only_the_enterprise_itself_proposes(world, firms):
    with pytest.raises(PermissionDenied):
        services.submit_change(world.users["enterprise_user"], firms.wz_shared, {"employees": 5})


def test_a_request_on_an_outdated_profile_cannot_be_approved(world, firms, reviewer):
    change = services.submit_change(
        world.users["enterprise_user"], firms.wz_internal, proposal(firms, employees=5)
    )
    services.claim_version(firms.wz_internal, 1)  # a staff edit meanwhile
    firms.wz_internal.save()
    with pytest.raises(ValidationError, match="changed since"):
        services.review_change(reviewer, change, approve=True)
    assert ChangeRequest.objects.get().status == ChangeRequest.Status.PENDING


def test_one_pending_request_at_a_time(world, firms):
    user = world.users["enterprise_user"]
    services.submit_change(user, firms.wz_internal, proposal(firms, employees=5))
    with pytest.raises(ValidationError, match="already waiting"):
        services.submit_change(user, firms.wz_internal, proposal(firms, employees=6))


def test_the_enterprise_user_proposes_through_the_profile_page(world, firms, login):
    client = login(world.users["enterprise_user"])
    page = client.get(reverse("enterprise:profile"))
    assert page.status_code == 200
    data = {
        "name": "万州测试企业",
        "size_class": "above",
        "industries": "3670、1391",
        "address": "万州区江南新区",
        "products-TOTAL_FORMS": "1", "products-INITIAL_FORMS": "0",
        "products-0-name": "淀粉", "products-0-share": "100",
        "contacts-TOTAL_FORMS": "1", "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "张三丰", "contacts-0-position": "总经理",
        "contacts-0-phone": "13812341234", "contacts-0-email": "zhang@example.cn",
    }  # fmt: skip
    response = client.post(reverse("enterprise:profile"), data)
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.proposed["industries"] == ["1391", "3670"]
    assert change.proposed["size_class"] == "above"
