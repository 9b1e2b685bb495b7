"""The audit log: every change of business data is recorded, append-only, for the auditor only."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from xietong.core.forms import MembershipForm, OrgUnitForm, UserForm
from xietong.core.models import Membership, OrgUnit, Programme, Role, SecurityEvent, User

from ..factories import (
    PASSWORD,
    MembershipFactory,
    OrgUnitFactory,
    SecurityEventFactory,
    UserFactory,
)

AUDIT_PAGES = ["/audit/", "/audit/security/", "/audit/export.xlsx"]
OFFICE = "10.20.30.40"


def form_data(form, **changes) -> dict:
    """What a browser posts for ``form`` as shown, with ``changes`` typed in."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def updates_of(obj):
    return LogEntry.objects.get_for_object(obj).filter(action=LogEntry.Action.UPDATE)


def sign_in_for_token(user) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, "json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def workbook_rows(response, sheet: int) -> list[tuple]:
    book = load_workbook(BytesIO(response.content))
    return list(book.worksheets[sheet].iter_rows(values_only=True))


@pytest.fixture
def admin(world):
    return world.users["system_admin"]


@pytest.fixture
def auditor(world):
    return world.users["security_auditor"]


@pytest.fixture
def renamed_unit(world, login, admin):
    """The administrator changes a unit's phone number from an office address."""
    unit = world.unit_a_dev
    unit.phone = "023-1111"
    unit.save()
    client = login(admin)
    data = form_data(OrgUnitForm(instance=unit, user=admin), phone="023-6789")
    response = client.post(reverse("orgunit_edit", args=[unit.pk]), data, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302, response.content
    return unit


# --- What is recorded -------------------------------------------------------------------


def test_it_records_one_entry_with_actor_address_and_before_after_for_a_page_change(
    renamed_unit, admin
):
    entry = updates_of(renamed_unit).filter(actor__isnull=False).get()
    assert entry.actor == admin
    assert entry.remote_addr == OFFICE
    assert entry.changes_dict == {"phone": ["023-1111", "023-6789"]}
    assert timezone.now() - entry.timestamp < timedelta(minutes=1)


def test_it_records_exactly_one_entry_for_one_change(renamed_unit):
    assert updates_of(renamed_unit).count() == 2  # the fixture's own save, then the page
    assert updates_of(renamed_unit).filter(actor__isnull=False).count() == 1


def test_it_records_a_creation_with_the_values_created(world, login, admin):
    client = login(admin)
    response = client.post(
        reverse("programme_create"),
        {"name": "成渝双城协同", "code": "chengyu", "description": ""},
        REMOTE_ADDR=OFFICE,
    )
    assert response.status_code == 302
    programme = Programme.objects.get(code="chengyu")
    entry = LogEntry.objects.get_for_object(programme).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == admin and entry.remote_addr == OFFICE
    assert entry.changes_dict["name"] == ["None", "成渝双城协同"]


def test_it_records_a_deletion_with_the_values_before(world, login, admin):
    unit = OrgUnitFactory(region=world.unit_a_dev.region, name="待撤销办公室", phone="023-5555")
    pk = unit.pk
    client = login(admin)
    response = client.post(reverse("orgunit_delete", args=[pk]), REMOTE_ADDR=OFFICE)
    assert response.status_code == 302
    assert not OrgUnit.objects.filter(pk=pk).exists()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(OrgUnit),
        object_pk=str(pk),
        action=LogEntry.Action.DELETE,
    )
    assert entry.actor == admin and entry.remote_addr == OFFICE
    assert entry.changes_dict["name"] == ["待撤销办公室", "None"]
    assert entry.changes_dict["phone"] == ["023-5555", "None"]


def test_it_records_a_role_granted_by_the_administrator(world, login, admin):
    person = UserFactory(username="new_leader")
    client = login(admin)
    form = MembershipForm(user=admin)
    data = form_data(form, role=Role.LEADER, partnership=world.pair_a.pk)
    response = client.post(reverse("membership_create", args=[person.pk]), data)
    assert response.status_code == 302, response.content
    membership = Membership.objects.get(user=person)
    entry = LogEntry.objects.get_for_object(membership).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == admin
    assert entry.changes_dict["role"] == ["None", Role.LEADER]


def test_it_records_a_change_made_with_an_api_token_against_the_token_user(world):
    coordinator = world.users["partnership_coordinator"]
    token = sign_in_for_token(coordinator)
    api = APIClient(REMOTE_ADDR=OFFICE)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    unit = world.unit_a_dev
    response = api.patch(f"/api/v1/org-units/{unit.pk}/", {"phone": "023-4242"}, "json")
    assert response.status_code == 200, response.content
    entry = updates_of(unit).get()
    assert entry.actor == coordinator
    assert entry.remote_addr == OFFICE
    assert entry.changes_dict["phone"] == ["", "023-4242"]


def test_it_records_a_password_reset_without_any_part_of_the_password(world, login, admin):
    person = world.users["leader"]
    old_hash = person.password
    before = set(updates_of(person).values_list("pk", flat=True))  # the factory's own
    client = login(admin)
    form = UserForm(instance=person, user=admin)
    new = "Quiet-Harbour-2031"
    data = form_data(form, password1=new, password2=new)
    response = client.post(reverse("person_edit", args=[person.pk]), data)
    assert response.status_code == 302, response.content
    person.refresh_from_db()
    assert person.check_password(new)
    entry = updates_of(person).exclude(pk__in=before).get()
    assert entry.actor == admin
    assert entry.changes_dict == {"password": ["********", "********"]}
    assert old_hash not in str(entry.changes) and person.password not in str(entry.changes)


def test_it_does_not_record_a_password_rehash_at_sign_in_as_a_change(world, client):
    person = world.users["leader"]
    before = updates_of(person).count()  # the factory's own
    # A short salt makes Django re-hash the password at the next sign-in.
    User.objects.filter(pk=person.pk).update(
        password=make_password(PASSWORD, salt="ab", hasher="md5")
    )
    response = client.post(reverse("login"), {"username": person.username, "password": PASSWORD})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.password.split("$")[1] != "ab"  # re-hashed
    assert updates_of(person).count() == before


def test_it_takes_the_address_from_remote_addr_not_from_a_forged_header(world, login, admin):
    client = login(admin)
    unit = world.unit_a_dev
    data = form_data(OrgUnitForm(instance=unit, user=admin), phone="023-0001")
    client.post(
        reverse("orgunit_edit", args=[unit.pk]),
        data,
        REMOTE_ADDR=OFFICE,
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert updates_of(unit).get().remote_addr == OFFICE


def test_it_takes_the_client_address_from_a_trusted_proxy(world, login, admin, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    client = login(admin)
    unit = world.unit_a_dev
    data = form_data(OrgUnitForm(instance=unit, user=admin), phone="023-0002")
    client.post(
        reverse("orgunit_edit", args=[unit.pk]),
        data,
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 172.16.8.9",  # the client forged the first hop
    )
    assert updates_of(unit).get().remote_addr == "172.16.8.9"


def test_it_groups_the_entries_of_one_request_under_one_correlation_id(world, login, admin):
    person = UserFactory(username="leaving")
    membership = MembershipFactory(user=person, role=Role.LEADER, partnership=world.pair_a)
    response = login(admin).post(
        reverse("person_delete", args=[person.pk]), HTTP_X_CORRELATION_ID="chosen-by-client"
    )
    assert response.status_code == 302
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE)
    by_object = {(e.content_type.model, e.object_pk): e for e in deleted}
    user_entry = by_object[("user", str(person.pk))]
    role_entry = by_object[("membership", str(membership.pk))]
    assert user_entry.cid and user_entry.cid == role_entry.cid
    assert user_entry.cid != "chosen-by-client"


# --- Append-only ------------------------------------------------------------------------


def test_it_refuses_to_change_a_log_entry(renamed_unit):
    entry = updates_of(renamed_unit).last()
    entry.changes = {"phone": ["x", "y"]}
    with pytest.raises(PermissionError):
        entry.save()
    entry.refresh_from_db()
    assert entry.changes_dict["phone"] != ["x", "y"]


def test_it_refuses_to_delete_a_log_entry(renamed_unit):
    entry = updates_of(renamed_unit).last()
    with pytest.raises(PermissionError), transaction.atomic():
        entry.delete()
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_to_delete_log_entries_in_bulk(renamed_unit):
    count = LogEntry.objects.count()
    with pytest.raises(PermissionError), transaction.atomic():
        LogEntry.objects.all().delete()
    assert LogEntry.objects.count() == count


def test_it_refuses_to_change_or_delete_a_security_event(world):
    event = SecurityEventFactory(username="x")
    event.detail = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError), transaction.atomic():
        SecurityEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.detail == ""


def test_it_keeps_an_account_that_changed_data_so_its_entries_keep_their_actor(
    world, login, renamed_unit
):
    # A second administrator tries to delete the first, whose change is in the log.
    acting_admin = world.users["system_admin"]
    other_admin = UserFactory(username="other_admin")
    MembershipFactory(user=other_admin, role=Role.SYSTEM_ADMIN)
    client = login(other_admin)
    response = client.post(reverse("person_delete", args=[acting_admin.pk]))
    assert response.status_code == 302
    assert User.objects.filter(pk=acting_admin.pk).exists()
    assert updates_of(renamed_unit).filter(actor=acting_admin).count() == 1


def test_it_refuses_to_delete_an_actor_in_code_too(renamed_unit, admin):
    with pytest.raises(ProtectedError), transaction.atomic():
        admin.delete()


def test_it_only_answers_reads_on_the_audit_pages(world, login, auditor):
    client = login(auditor)
    for url in AUDIT_PAGES:
        assert client.post(url).status_code == 405, url
        assert client.delete(url).status_code == 405, url


def test_it_mounts_no_admin_site(world, login, admin):
    assert login(admin).get("/admin/").status_code == 404


def test_it_offers_no_api_for_the_audit_log(world, auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    assert "audit" not in api.get("/api/v1/").content.decode().lower()
    assert api.get("/api/v1/audit/").status_code == 404


# --- Who reads it -----------------------------------------------------------------------


@pytest.mark.parametrize("url", AUDIT_PAGES)
def test_it_refuses_the_audit_log_to_the_system_administrator_and_records_it(
    world, login, admin, url
):
    response = login(admin).get(url, REMOTE_ADDR=OFFICE)
    assert response.status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DENIED)
    assert event.user == admin and event.path == url and event.ip == OFFICE


@pytest.mark.parametrize(
    "role",
    [
        "programme_coordinator",
        "partnership_coordinator",
        "department_staff",
        "sector_group_member",
        "enterprise_user",
        "leader",
        "nobody",
    ],
)
def test_it_refuses_the_audit_log_to_every_other_role(world, login, role):
    client = login(world.users[role])
    for url in AUDIT_PAGES:
        assert client.get(url).status_code == 403, url


def test_it_refuses_the_audit_log_to_an_administrator_who_granted_himself_the_auditor_role(
    world, login, admin
):
    MembershipFactory(user=admin, role=Role.SECURITY_AUDITOR)
    assert login(admin).get("/audit/").status_code == 403


def test_it_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_shows_the_auditor_the_change_with_actor_address_and_values(
    renamed_unit, login, auditor
):
    response = login(auditor).get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "system_admin" in html and OFFICE in html
    assert "023-1111 → 023-6789" in html
    assert str(renamed_unit) in html


def test_it_names_the_action_in_the_interface_language(renamed_unit, login, auditor):
    page = login(auditor).get("/audit/", {"action": LogEntry.Action.UPDATE})
    assert {e.action_label for e, _ in page.context["entries"]} == {"修改"}
    client = login(auditor)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get("/audit/", {"action": LogEntry.Action.UPDATE})
    assert {e.action_label for e, _ in page.context["entries"]} == {"Change"}


def test_it_shows_field_labels_and_related_objects_by_name(world, login, admin, auditor):
    unit = world.unit_a_dev
    new_parent = OrgUnitFactory(region=unit.region, name="管委会办公室")
    client = login(admin)
    data = form_data(OrgUnitForm(instance=unit, user=admin), parent=new_parent.pk)
    client.post(reverse("orgunit_edit", args=[unit.pk]), data)
    html = login(auditor).get("/audit/", {"action": LogEntry.Action.UPDATE}).content.decode()
    assert str(new_parent) in html  # the parent by name, not its number


def test_it_narrows_the_log_to_one_user(world, login, admin, auditor, renamed_unit):
    coordinator = world.users["partnership_coordinator"]
    unit = world.unit_a_dev
    data = form_data(OrgUnitForm(instance=unit, user=coordinator), phone="023-7777")
    login(coordinator).post(reverse("orgunit_edit", args=[unit.pk]), data)
    assert updates_of(unit).filter(actor=coordinator).exists()
    page = login(auditor).get("/audit/", {"actor": "system_admin"})
    rows = page.context["entries"]
    assert rows and {e.actor for e, _ in rows} == {admin}


def test_it_narrows_the_log_to_one_object_type_and_action(world, login, auditor, renamed_unit):
    org_unit_type = ContentType.objects.get_for_model(OrgUnit)
    page = login(auditor).get(
        "/audit/", {"model": org_unit_type.pk, "action": LogEntry.Action.UPDATE}
    )
    rows = page.context["entries"]
    expected = LogEntry.objects.filter(content_type=org_unit_type, action=LogEntry.Action.UPDATE)
    assert LogEntry.objects.count() > expected.count()
    assert {e.pk for e, _ in rows} == set(expected.values_list("pk", flat=True))


def test_it_narrows_the_log_to_a_date_range(world, login, auditor, renamed_unit):
    old, new = updates_of(renamed_unit).order_by("pk")
    # Age one entry in SQL: the model itself refuses changes.
    LogEntry.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=40))
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    page = login(auditor).get("/audit/", {"from": since})
    pks = {e.pk for e, _ in page.context["entries"]}
    assert new.pk in pks and old.pk not in pks
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    page = login(auditor).get("/audit/", {"to": until})
    assert [e.pk for e, _ in page.context["entries"]] == [old.pk]


def test_it_narrows_the_log_to_an_address(world, login, auditor, renamed_unit):
    page = login(auditor).get("/audit/", {"ip": OFFICE})
    rows = page.context["entries"]
    assert [e.remote_addr for e, _ in rows] == [OFFICE]


def test_it_ignores_filters_that_make_no_sense(world, login, auditor, renamed_unit):
    client = login(auditor)
    response = client.get(
        "/audit/", {"model": "x", "action": "9", "from": "2026-02-30", "to": "soon"}
    )
    assert response.status_code == 200
    assert len(response.context["entries"]) == LogEntry.objects.count()


def test_it_exports_the_filtered_log_to_excel(world, login, auditor, renamed_unit):
    response = login(auditor).get("/audit/export.xlsx", {"ip": OFFICE})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    header, *rows = workbook_rows(response, 0)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    values = list(row.values())
    assert "system_admin" in values and OFFICE in values
    assert str(renamed_unit) in values
    assert any("023-1111 → 023-6789" in str(v) for v in values)


def test_it_exports_the_security_events_on_a_second_sheet(world, login, auditor, client):
    client.post(reverse("login"), {"username": "leader", "password": "wrong"})
    response = login(auditor).get("/audit/export.xlsx", {"kind": "login_failed"})
    _header, *rows = workbook_rows(response, 1)
    assert [r[1] for r in rows] == ["leader"]


def test_it_keeps_a_formula_like_name_as_text_in_the_export(world, login, auditor):
    Programme.objects.create(name="=HYPERLINK(1)", code="formula")
    response = login(auditor).get("/audit/export.xlsx", {"object": "HYPERLINK"})
    book = load_workbook(BytesIO(response.content))
    cells = [c for row in book.worksheets[0].iter_rows(min_row=2) for c in row]
    formula_like = [c for c in cells if str(c.value).startswith("=")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)


def test_it_shows_the_auditor_security_events_and_narrows_them_by_kind(world, login, auditor):
    client = login(auditor)  # a sign-in event for the auditor
    SecurityEventFactory(kind=SecurityEvent.Kind.LOGIN_FAILED, username="mallory")
    page = client.get("/audit/security/")
    assert page.status_code == 200
    assert {ev.kind for ev in page.context["page"]} >= {"login", "login_failed"}
    narrowed = client.get("/audit/security/", {"kind": "login_failed"})
    assert [ev.username for ev in narrowed.context["page"]] == ["mallory"]


# --- The auditor reads the log and nothing else -----------------------------------------


def test_it_shows_the_auditor_no_partnership_unit_or_other_person(world, login, auditor):
    client = login(auditor)
    assert client.get(reverse("partnership_detail", args=[world.pair_a.pk])).status_code == 404
    assert client.get(reverse("orgunit_detail", args=[world.unit_a_dev.pk])).status_code == 404
    leader = world.users["leader"]
    assert client.get(reverse("person_detail", args=[leader.pk])).status_code == 404
    assert "两江新区" not in client.get(reverse("partnership_list")).content.decode()
    assert list(client.get(reverse("person_list")).context["object_list"]) in ([], [auditor])


def test_it_gives_the_auditor_no_business_data_through_the_api(world, auditor):
    api = APIClient()
    api.force_authenticate(auditor)
    for name in ("programmes", "regions", "partnerships", "org-units"):
        response = api.get(f"/api/v1/{name}/")
        assert response.status_code == 200 and response.json()["count"] == 0, name
    assert api.get(f"/api/v1/partnerships/{world.pair_a.pk}/").status_code == 404


def test_it_lets_the_auditor_change_nothing(world, login, auditor):
    client = login(auditor)
    unit = world.unit_a_dev
    before = LogEntry.objects.count()
    assert client.get(reverse("orgunit_create")).status_code == 403
    assert client.post(reverse("orgunit_edit", args=[unit.pk]), {"name": "x"}).status_code in (
        403,
        404,
    )
    assert client.post(reverse("orgunit_delete", args=[unit.pk])).status_code in (403, 404)
    assert client.get(reverse("person_create")).status_code == 403
    assert LogEntry.objects.count() == before
