"""Pairs, work contacts (confirmation by the other side), follow-ups → tasks, versions,
attachments, secondments, trainings and inspection visits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from tests.conference.factories import AgreementFactory
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from xietong.conference.models import Task
from xietong.conference.versions import EditConflict, version_of
from xietong.core.models import Notification, Role
from xietong.pairing import services
from xietong.pairing.models import (
    DepartmentPair,
    FollowUpAction,
    Secondment,
    TrainingAttendance,
    WorkContact,
)


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted in English; lazy model messages are read after the
    ``with`` blocks, so the whole test runs in English."""
    with translation.override("en"):
        yield


def record(user, pair, **extra):
    values = {
        "held_on": timezone.localdate() - timedelta(days=1),
        "form": "video",
        "host_side": "developed",
        "topics": "汽车零部件配套对接",
        "outcomes": "商定下月实地调研",
        **extra,
    }
    return services.record_contact(user, pair, **values)


# --- Pairs -------------------------------------------------------------------------------


def test_only_coordinators_create_pairs(world, people):
    kwargs = {
        "partnership": world.pair_a,
        "developed_unit": world.unit_a_dev,
        "partner_unit": world.unit_a_partner,
        "started_on": date(2025, 1, 1),
    }
    for role in ("department_staff", "leader", "system_admin", "enterprise_user"):
        with pytest.raises(PermissionDenied):
            services.create_pair(world.users[role], **kwargs)
    pair = services.create_pair(people.programme_coordinator, **kwargs)
    assert pair.frequency == DepartmentPair.Frequency.MONTHLY
    assert LogEntry.objects.get_for_object(pair).count() == 1


def test_a_pair_needs_units_and_leads_of_the_right_sides(world, people):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_pair(
            people.developed_coordinator,
            partnership=world.pair_a,
            developed_unit=world.unit_a_partner,
            partner_unit=world.unit_a_dev,
            started_on=date(2025, 1, 1),
            developed_lead=people.partner_staff,
            partner_lead=people.b_staff,
        )
    errors = exc.value.message_dict
    assert errors["developed_unit"] == [
        "This department is not of the developed side of the partnership."
    ]
    assert "not of the partner side" in errors["partner_unit"][0]
    assert errors["developed_lead"] == [
        "万州联络员 is not a member of this side of the partnership."
    ]
    assert "partner_lead" in errors


def test_a_unit_may_be_in_several_pairs_but_not_twice_in_the_same(world, people, dept_pair):
    other = OrgUnitFactory(region=world.pair_a.partner_side, name="区商务委")
    services.create_pair(
        people.developed_coordinator,
        partnership=world.pair_a,
        developed_unit=world.unit_a_dev,
        partner_unit=other,
        started_on=date(2025, 1, 1),
    )
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_pair(
            people.developed_coordinator,
            partnership=world.pair_a,
            developed_unit=world.unit_a_dev,
            partner_unit=world.unit_a_partner,
            started_on=date(2025, 1, 1),
        )
    assert exc.value.message_dict["partner_unit"] == ["These two departments are already paired."]


def test_ending_a_pair_keeps_contacts_within_its_dates(world, people, dept_pair):
    record(people.developed_staff, dept_pair, held_on=date(2025, 6, 10))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.end_pair(people.developed_coordinator, dept_pair, ended_on=date(2025, 5, 31))
    assert exc.value.message_dict["ended_on"] == [
        "Work contacts of this pair were held after this date."
    ]
    services.end_pair(people.developed_coordinator, dept_pair, ended_on=date(2025, 6, 30))
    dept_pair.refresh_from_db()
    assert dept_pair.ended_on == date(2025, 6, 30)


def test_a_stale_version_of_a_pair_is_refused(world, people, dept_pair):
    loaded = version_of(dept_pair)
    services.update_pair(
        people.partner_coordinator, dept_pair, version=loaded, note="每月第二周对接"
    )
    with pytest.raises(EditConflict) as exc:
        services.update_pair(
            people.developed_coordinator, dept_pair, version=loaded, frequency="quarterly"
        )
    assert exc.value.code == "conflict"
    dept_pair.refresh_from_db()
    assert (dept_pair.note, dept_pair.frequency) == ("每月第二周对接", "monthly")


# --- Contacts ----------------------------------------------------------------------------


def test_either_department_of_the_pair_records_a_contact(world, people, dept_pair):
    contact = record(
        people.partner_staff,
        dept_pair,
        host_side="partner",
        participants=[
            {"side": "developed", "name": "张明", "unit": "产业促进局", "title": "副局长"},
            {"side": "partner", "name": "李华", "unit": "区经济信息委"},
        ],
        follow_ups=[{"text": "共建配套产业园", "owner_side": "developed"}],
    )
    assert contact.recorded_side == "partner"
    assert contact.status == WorkContact.Status.AWAITING
    assert [p.name for p in contact.participants.order_by("pk")] == ["张明", "李华"]
    assert contact.follow_ups.get().text == "共建配套产业园"
    # The developed side's person in charge is asked to confirm, not the recorder.
    asked = Notification.objects.filter(key__startswith=f"pairing.confirm.{contact.pk}.")
    assert [n.user for n in asked] == [people.developed_staff]
    assert "请确认" in asked[0].title or "confirm" in asked[0].title.lower()


def test_others_may_not_record(world, people, dept_pair):
    for user in (world.users["leader"], world.users["sector_group_member"], people.b_staff):
        with pytest.raises(PermissionDenied):
            record(user, dept_pair)


def test_a_contact_cannot_be_in_the_future_or_before_the_pairing(world, people, dept_pair):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record(people.developed_staff, dept_pair, held_on=timezone.localdate() + timedelta(days=1))
    assert "in the future" in exc.value.message_dict["held_on"][0]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record(people.developed_staff, dept_pair, held_on=date(2024, 12, 31), form="other")
    errors = exc.value.message_dict
    assert errors["held_on"] == ["The departments were paired only from Jan. 1, 2025."]
    assert errors["form_other"] == ["Say what form the contact took."]


def test_a_programme_coordinator_names_the_side_it_records_for(world, people, dept_pair):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record(people.programme_coordinator, dept_pair)
    assert "recorded_side" in exc.value.message_dict
    contact = record(people.programme_coordinator, dept_pair, recorded_side="partner")
    assert contact.recorded_side == "partner"


def test_only_the_other_side_confirms(world, people, dept_pair):
    contact = record(people.developed_staff, dept_pair)
    # The recorder and the recording side's coordinator are refused, with the rule named.
    for user in (people.developed_staff, people.developed_coordinator):
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.confirm_contact(user, contact)
        assert "the side that recorded it cannot confirm" in str(exc.value)
    for user in (world.users["leader"], people.programme_coordinator, people.b_staff):
        with pytest.raises(PermissionDenied):
            services.confirm_contact(user, contact)
    assert not services.may_confirm(people.developed_staff, contact)
    assert services.may_confirm(people.partner_coordinator, contact)
    services.confirm_contact(people.partner_staff, contact)
    contact.refresh_from_db()
    assert contact.status == WorkContact.Status.CONFIRMED
    assert contact.confirmed_by == people.partner_staff and contact.confirmed_at
    assert Notification.objects.filter(
        user=people.developed_staff, key=f"pairing.confirmed.{contact.pk}"
    ).exists()
    with pytest.raises(ValidationError):
        services.confirm_contact(people.partner_coordinator, contact)
    # A confirmed record is no longer edited.
    with pytest.raises(PermissionDenied):
        services.update_contact(people.developed_staff, contact, topics="改写")


def test_return_with_reason_then_resubmit(world, people, dept_pair):
    contact = record(people.developed_staff, dept_pair)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.return_contact(people.partner_staff, contact, reason="  ")
    assert exc.value.message_dict["reason"] == ["Say why the record is returned."]
    services.return_contact(people.partner_staff, contact, reason="日期有误，应为上周五")
    contact.refresh_from_db()
    assert contact.status == WorkContact.Status.RETURNED
    assert contact.return_reason == "日期有误，应为上周五"
    note = Notification.objects.get(user=people.developed_staff, key__startswith="pairing.returned")
    assert "日期有误" in note.body
    # The other side may not resubmit the recorder's record.
    with pytest.raises(PermissionDenied):
        services.resubmit_contact(people.partner_staff, contact, topics="x")
    fixed = timezone.localdate() - timedelta(days=3)
    services.resubmit_contact(people.developed_staff, contact, held_on=fixed)
    contact.refresh_from_db()
    assert (contact.status, contact.held_on) == (WorkContact.Status.AWAITING, fixed)
    asked = Notification.objects.filter(
        user=people.partner_staff, key__startswith=f"pairing.confirm.{contact.pk}."
    )
    assert asked.count() == 2  # first submission, then the resubmission
    services.confirm_contact(people.partner_staff, contact)
    contact.refresh_from_db()
    assert contact.status == WorkContact.Status.CONFIRMED


def test_a_stale_confirmation_is_refused(world, people, dept_pair):
    contact = record(people.developed_staff, dept_pair)
    loaded = version_of(contact)
    services.update_contact(people.developed_staff, contact, outcomes="补充：签订合作备忘录")
    with pytest.raises(EditConflict):
        services.confirm_contact(people.partner_staff, contact, version=loaded)
    contact.refresh_from_db()
    assert contact.status == WorkContact.Status.AWAITING
    services.confirm_contact(people.partner_staff, contact, version=version_of(contact))


# --- Follow-up actions and tasks ------------------------------------------------------------


def test_a_follow_up_becomes_a_task_linked_both_ways(world, people, dept_pair):
    year = timezone.localdate().year
    agreement = AgreementFactory(partnership=world.pair_a, year=year)
    contact = record(people.partner_staff, dept_pair, recorded_side="partner")
    action = services.add_follow_up(
        people.partner_staff,
        contact,
        text="联合举办汽车零部件供需对接会",
        owner_side="partner",
        due_on=date(year, 12, 20),
    )
    with pytest.raises(PermissionDenied):
        services.follow_up_to_task(people.partner_staff, action)
    task = services.follow_up_to_task(people.partner_coordinator, action)
    action.refresh_from_db()
    assert action.task == task
    assert list(task.pairing_actions.all()) == [action]
    assert task.agreement == agreement
    assert task.code == f"{year}-DJ01"
    assert task.title == "联合举办汽车零部件供需对接会"
    assert task.deadline == date(year, 12, 20)
    assert task.responsible == people.partner_staff
    units = {(tu.unit, tu.role) for tu in task.task_units.all()}
    assert units == {(world.unit_a_partner, "lead"), (world.unit_a_dev, "support")}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.follow_up_to_task(people.partner_coordinator, action)
    assert exc.value.messages == ["This action is already a task of the task list."]
    second = services.add_follow_up(
        people.developed_staff, contact, text="互派干部挂职", owner_side="developed"
    )
    assert services.follow_up_to_task(people.developed_coordinator, second).code == (f"{year}-DJ02")
    assert Task.objects.filter(pairing_actions__contact=contact).count() == 2


def test_a_follow_up_needs_this_years_agreement(world, people, dept_pair):
    contact = record(people.developed_staff, dept_pair)
    action = FollowUpAction.objects.create(contact=contact, text="调研", owner_side="developed")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.follow_up_to_task(people.developed_coordinator, action)
    assert "has no annual agreement for" in exc.value.messages[0]
    other = AgreementFactory(partnership=world.pair_b, year=timezone.localdate().year)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.follow_up_to_task(people.developed_coordinator, action, agreement=other)
    assert exc.value.messages == ["The agreement belongs to another partnership."]


# --- Attachments -------------------------------------------------------------------------


def test_attachments_are_checked_and_stored_under_a_generated_name(
    world, people, dept_pair, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.PAIRING_UPLOAD_MAX_MB = 1
    contact = record(people.developed_staff, dept_pair)
    pdf = SimpleUploadedFile("会议纪要.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    attachment = services.add_attachment(people.partner_staff, contact, pdf)
    assert attachment.name == "会议纪要.pdf"
    assert attachment.content_type == "application/pdf"
    assert "会议纪要" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    fake = SimpleUploadedFile("纪要.pdf", b"MZ not a pdf")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.add_attachment(people.partner_staff, contact, fake)
    assert exc.value.message_dict["file"] == [
        "The file's content does not match its extension .pdf."
    ]
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.add_attachment(people.partner_staff, contact, big)
    assert exc.value.message_dict["file"] == ["The file is too large: at most 1 MB."]
    with pytest.raises(PermissionDenied):
        services.add_attachment(world.users["leader"], contact, pdf)


# --- Secondments, trainings, visits ---------------------------------------------------------


def test_secondments_against_the_yearly_range(world, people):
    progress = services.secondment_progress(world.pair_a, 2026)
    assert (progress.minimum, progress.target, progress.actual, progress.state) == (
        2,
        3,
        0,
        "short",
    )
    values = {
        "sending_unit": world.unit_a_partner,
        "host_unit": world.unit_a_dev,
        "mentor_name": "王处长",
        "goals": "学习产业招商经验",
    }
    for n, start in enumerate([date(2026, 3, 1), date(2026, 9, 1), date(2025, 9, 1)]):
        services.create_secondment(
            people.developed_coordinator,
            partnership=world.pair_a,
            person_name=f"挂职干部{n}",
            starts_on=start,
            ends_on=start + timedelta(days=180),
            **values,
        )
    assert services.secondment_progress(world.pair_a, 2026).state == "within"
    services.update_settings(
        people.partner_coordinator,
        world.pair_a,
        reminder_day=15,
        secondment_minimum=1,
        secondment_target=2,
    )
    assert services.secondment_progress(world.pair_a, 2026).state == "met"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_secondment(
            people.developed_coordinator,
            partnership=world.pair_a,
            person_name="错位",
            starts_on=date(2026, 1, 1),
            ends_on=date(2025, 1, 1),
            sending_unit=world.unit_a_dev,
            host_unit=world.unit_a_partner,
        )
    errors = exc.value.message_dict
    assert errors["sending_unit"] == ["The sending unit must be a department of the partner side."]
    assert errors["host_unit"] == ["The host unit must be a department of the developed side."]
    assert errors["ends_on"] == ["The end cannot be before the start."]


def test_secondment_status_and_evaluations(world, people):
    today = timezone.localdate()
    secondment = services.create_secondment(
        people.developed_coordinator,
        partnership=world.pair_a,
        person_name="刘挂职",
        sending_unit=world.unit_a_partner,
        host_unit=world.unit_a_dev,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=150),
        mentor=people.developed_staff,
    )
    assert secondment.status == "ongoing"
    assert secondment.status_on(today + timedelta(days=151)) == "completed"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.evaluate_secondment(
            people.developed_staff, secondment, stage="final", evaluation="好", rating="good"
        )
    assert "last month" in exc.value.message_dict["evaluation"][0]
    services.evaluate_secondment(
        people.developed_staff, secondment, stage="mid", evaluation="进步明显", rating="good"
    )
    secondment.refresh_from_db()
    assert (secondment.mid_rating, secondment.mid_evaluation) == ("good", "进步明显")
    with pytest.raises(PermissionDenied):
        services.evaluate_secondment(
            people.partner_staff, secondment, stage="mid", evaluation="x", rating="poor"
        )
    services.cancel_secondment(people.partner_coordinator, secondment, reason="工作调整")
    assert Secondment.objects.with_status(today).get().current_status == "cancelled"


def test_training_records_sum_hours_by_person(world, people):
    trainee = UserFactory(username="trainee", full_name="陈招商")
    MembershipFactory(user=trainee, role=Role.DEPARTMENT_STAFF, org_unit=world.unit_a_partner)
    for title, hours in (("招商实务培训", "6"), ("产业链招商专题", "3.5")):
        services.create_training(
            people.developed_staff,
            partnership=world.pair_a,
            title=title,
            held_on=date(2026, 4, 8),
            host_unit=world.unit_a_dev,
            attendees=[
                {"name": "陈招商", "hours": Decimal(hours), "user": trainee},
                {"name": "周某", "hours": Decimal("2"), "unit_name": "万州经开区"},
            ],
        )
    records = services.training_records(TrainingAttendance.objects.all())
    assert [(r.name, r.hours, r.count) for r in records] == [
        ("陈招商", Decimal("9.5"), 2),
        ("周某", Decimal("4"), 2),
    ]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.create_training(
            people.developed_staff,
            partnership=world.pair_a,
            title="x",
            held_on=date(2026, 4, 8),
            attendees=[{"name": "甲", "hours": Decimal("1"), "unit": world.unit_a_dev}],
        )
    assert exc.value.message_dict["attendees"] == [
        "两江新区产业促进局 is not a department of the attendee's side."
    ]
    with pytest.raises(PermissionDenied):
        services.create_training(
            people.b_staff, partnership=world.pair_a, title="x", held_on=date(2026, 4, 8)
        )
