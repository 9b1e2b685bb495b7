"""Deleting pairs (only without work contacts), trainings and inspection visits: the
service functions, the API calling them and the confirmation pages; the pairing tabs."""

from __future__ import annotations

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from xietong.pairing import services
from xietong.pairing.models import DepartmentPair, InspectionVisit, Training, TrainingAttendance

from .conftest import contact
from .test_api import API, client_for


def deleted_entries(model, pk) -> int:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=str(pk),
        action=LogEntry.Action.DELETE,
    ).count()


# --- Services -------------------------------------------------------------------------


def test_delete_pair_refuses_a_pair_with_contacts_and_says_end_it(people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2025, 2, 10))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.delete_pair(people.developed_coordinator, dept_pair)
    assert refused.value.messages == ["This pair has work contacts: end it instead of deleting it."]
    assert DepartmentPair.objects.filter(pk=dept_pair.pk).exists()


def test_delete_pair_is_for_coordinators_and_audited(people, dept_pair):
    with pytest.raises(PermissionDenied):
        services.delete_pair(people.developed_staff, dept_pair)
    pk = dept_pair.pk
    services.delete_pair(people.developed_coordinator, dept_pair)
    assert not DepartmentPair.objects.filter(pk=pk).exists()
    assert deleted_entries(DepartmentPair, pk) == 1


def test_delete_training_takes_its_attendances_and_is_audited(world, people, trainings):
    first, second = trainings
    with pytest.raises(PermissionDenied):
        services.delete_training(world.users["leader"], first)
    with pytest.raises(PermissionDenied):
        services.delete_training(people.b_staff, first)
    pk = first.pk
    services.delete_training(people.partner_staff, first)
    assert list(Training.objects.all()) == [second]
    assert not TrainingAttendance.objects.filter(training_id=pk).exists()
    assert deleted_entries(Training, pk) == 1
    assert (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(TrainingAttendance),
            action=LogEntry.Action.DELETE,
        ).count()
        == 2
    )


def test_delete_visit_is_for_the_sides_and_audited(world, people, visits):
    with_own, without = visits
    with pytest.raises(PermissionDenied):
        services.delete_visit(world.users["enterprise_user"], with_own)
    pk = with_own.pk
    services.delete_visit(people.developed_staff, with_own)
    assert list(InspectionVisit.objects.all()) == [without]
    assert deleted_entries(InspectionVisit, pk) == 1


# --- API ------------------------------------------------------------------------------


def test_the_api_refuses_to_delete_a_pair_with_contacts_with_the_reason(people, dept_pair):
    contact(dept_pair, people.developed_staff, date(2025, 2, 10))
    url = f"{API}/department-pairs/{dept_pair.pk}/"
    response = client_for(people.developed_coordinator).delete(url)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["该结对部门已有工作对接记录，不能删除，请改为终止结对。"]
    }
    assert deleted_entries(DepartmentPair, dept_pair.pk) == 0


def test_the_api_deletes_trainings_and_visits_through_the_services(
    world, people, trainings, visits
):
    first, _second = trainings
    with_own, _without = visits
    training_url = f"{API}/trainings/{first.pk}/"
    visit_url = f"{API}/inspection-visits/{with_own.pk}/"
    assert client_for(world.users["leader"]).delete(training_url).status_code == 403
    assert client_for(people.b_staff).delete(training_url).status_code == 404
    assert client_for(world.users["enterprise_user"]).delete(visit_url).status_code == 403
    assert client_for(people.partner_staff).delete(training_url).status_code == 204
    assert client_for(people.partner_staff).delete(visit_url).status_code == 204
    assert not Training.objects.filter(pk=first.pk).exists()
    assert not InspectionVisit.objects.filter(pk=with_own.pk).exists()
    assert deleted_entries(Training, first.pk) == 1
    assert deleted_entries(InspectionVisit, with_own.pk) == 1


# --- Pages ----------------------------------------------------------------------------


def test_a_pair_without_contacts_is_deleted_from_its_page(people, dept_pair, login):
    detail_url = reverse("pairing:pair_detail", args=[dept_pair.pk])
    delete_url = reverse("pairing:pair_delete", args=[dept_pair.pk])
    assert delete_url not in login(people.developed_staff).get(detail_url).content.decode()
    assert login(people.developed_staff).post(delete_url).status_code == 403
    client = login(people.developed_coordinator)
    assert delete_url in client.get(detail_url).content.decode()
    confirm = client.get(delete_url).content.decode()
    assert "此操作不可撤销" in confirm and 'data-testid="confirm-delete"' in confirm
    assert DepartmentPair.objects.filter(pk=dept_pair.pk).exists()  # GET deletes nothing
    response = client.post(delete_url, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("pairing:pair_list"))
    assert "已删除" in response.content.decode()
    assert not DepartmentPair.objects.filter(pk=dept_pair.pk).exists()


def test_a_pair_with_contacts_offers_ending_not_deleting(people, dept_pair, login):
    contact(dept_pair, people.developed_staff, date(2025, 2, 10))
    client = login(people.developed_coordinator)
    detail_url = reverse("pairing:pair_detail", args=[dept_pair.pk])
    delete_url = reverse("pairing:pair_delete", args=[dept_pair.pk])
    html = client.get(detail_url).content.decode()
    assert delete_url not in html
    assert reverse("pairing:pair_end", args=[dept_pair.pk]) in html
    confirm = client.get(delete_url).content.decode()
    assert 'data-testid="delete-blocked"' in confirm and "confirm-delete" not in confirm
    assert "改为终止结对" in confirm
    assert f'href="{reverse("pairing:pair_end", args=[dept_pair.pk])}"' in confirm
    assert client.post(delete_url).status_code == 400
    assert DepartmentPair.objects.filter(pk=dept_pair.pk).exists()


def test_a_training_and_a_visit_are_deleted_from_their_pages(
    world, people, login, trainings, visits
):
    first, second = trainings
    with_own, without = visits
    enterprise = login(world.users["enterprise_user"])
    visit_delete = reverse("pairing:visit_delete", args=[with_own.pk])
    assert (
        visit_delete
        not in enterprise.get(reverse("pairing:visit_detail", args=[with_own.pk])).content.decode()
    )
    assert enterprise.post(visit_delete).status_code == 403
    assert login(people.b_staff).post(visit_delete).status_code == 404

    client = login(people.partner_staff)
    training_delete = reverse("pairing:training_delete", args=[first.pk])
    detail = client.get(reverse("pairing:training_detail", args=[first.pk])).content.decode()
    assert training_delete in detail
    assert "招商实务培训" in client.get(training_delete).content.decode()
    response = client.post(training_delete)
    assert response.status_code == 302 and response.url == reverse("pairing:training_list")
    assert list(Training.objects.all()) == [second]

    assert (
        visit_delete
        in client.get(reverse("pairing:visit_detail", args=[with_own.pk])).content.decode()
    )
    response = client.post(visit_delete)
    assert response.status_code == 302 and response.url == reverse("pairing:visit_list")
    assert list(InspectionVisit.objects.all()) == [without]


# --- Tabs -----------------------------------------------------------------------------


TABS = {
    "pair_list": "结对部门",
    "contact_list": "工作联系台账",
    "compliance": "对接情况",
    "secondment_list": "挂职锻炼",
    "training_list": "业务培训",
    "visit_list": "互动考察",
}


def tabs_of(html: str) -> str:
    start = html.index('data-testid="pairing-tabs"')
    return html[start : html.index("</ul>", start)]


@pytest.mark.parametrize("page", ["pair_list", "secondment_list", "training_list", "visit_list"])
def test_internal_users_get_all_six_tabs_on_every_list(people, login, page):
    html = login(people.partner_staff).get(reverse(f"pairing:{page}")).content.decode()
    tabs = tabs_of(html)
    for name in TABS:
        assert f'href="{reverse(f"pairing:{name}")}"' in tabs
    active = tabs[tabs.index("active") :]
    assert active.split("</a>")[0].endswith(TABS[page])


def test_an_enterprise_user_gets_no_tabs_and_no_link_to_internal_pages(world, login, visits):
    html = login(world.users["enterprise_user"]).get(reverse("pairing:visit_list"))
    content = html.content.decode()
    assert "两江新区鱼复工业园" in content
    assert 'data-testid="pairing-tabs"' not in content
    for name in ("pair_list", "contact_list", "compliance", "secondment_list", "training_list"):
        assert f'href="{reverse(f"pairing:{name}")}"' not in content
