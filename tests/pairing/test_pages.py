"""The pairing pages of pairs, work contacts and compliance, as a Chinese user sees them:
forms with field errors, confirmation by the other side only, follow-up → task from the
page, attachments, scope (404 outside, 403 for a visible record one may not change)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.conference.factories import AgreementFactory
from xietong.conference.models import Task
from xietong.conference.versions import version_of
from xietong.pairing import services
from xietong.pairing.models import (
    ContactAttachment,
    DepartmentPair,
    FollowUpAction,
    PairingSettings,
    WorkContact,
)

from .conftest import contact as write_contact


def html(response) -> str:
    return response.content.decode()


def record(user, pair, **extra) -> WorkContact:
    values = {
        "held_on": timezone.localdate() - timedelta(days=1),
        "form": "video",
        "host_side": "developed",
        "topics": "汽车零部件配套对接",
        "outcomes": "商定下月实地调研",
        "participants": [
            {"side": "developed", "name": "张产促", "unit": "产业促进局", "title": "科长"},
            {"side": "partner", "name": "李经信", "unit": "区经济信息委"},
        ],
        "follow_ups": [{"text": "组织三家配套企业赴两江考察", "owner_side": "partner"}],
        **extra,
    }
    return services.record_contact(user, pair, **values)


def contact_post(pair, **extra) -> dict:
    """The record form's POST: head, both sides' participants, two follow-up actions."""
    data = {
        "pair": pair.pk,
        "held_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "form": "video",
        "form_other": "",
        "host_side": "developed",
        "place": "两江新区管委会视频会议室",
        "topics": "新能源汽车零部件配套协作",
        "outcomes": "确定首批对接企业名单",
        "dev-TOTAL_FORMS": "3",
        "dev-INITIAL_FORMS": "0",
        "dev-0-name": "张伟",
        "dev-0-unit": "产业促进局",
        "dev-0-title": "科员",
        "par-TOTAL_FORMS": "3",
        "par-INITIAL_FORMS": "0",
        "par-0-name": "刘洋",
        "par-0-unit": "经济信息委",
        "par-1-name": "王芳",
        "fu-TOTAL_FORMS": "2",
        "fu-INITIAL_FORMS": "0",
        "fu-0-text": "梳理万州配套企业清单",
        "fu-0-owner_side": "partner",
        "fu-0-due_on": "",
        "fu-1-text": "组织企业赴两江实地考察",
        "fu-1-owner_side": "developed",
        "fu-1-due_on": "",
    }
    data.update(extra)
    return data


# --- Department pairs -----------------------------------------------------------------------


def test_the_pair_list_shows_pairs_units_leads_state_and_rate_in_chinese(
    world, people, dept_pair, login
):
    response = login(people.developed_coordinator).get(reverse("pairing:pair_list"))
    assert response.status_code == 200
    page = html(response)
    assert "结对部门" in page
    assert "产业促进局" in page and "区经济信息委" in page
    assert "万州联络员" in page  # the partner side's person in charge
    assert 'data-state="not_yet"' in page and "未到期" in page
    assert "结对设置" in page  # a coordinator gets the settings of the partnership


def test_a_coordinator_pairs_departments_and_the_form_shows_field_errors(world, people, login):
    client = login(people.developed_coordinator)
    url = reverse("pairing:pair_create") + f"?partnership={world.pair_a.pk}"
    assert "新建部门结对" in html(client.get(url))
    bad = client.post(
        url, {"partner_unit": world.unit_a_partner.pk, "frequency": "monthly", "started_on": ""}
    )
    assert bad.status_code == 400
    assert html(bad).count("invalid-feedback") >= 2  # the developed unit and the start date
    assert not DepartmentPair.objects.exists()
    ok = client.post(
        url,
        {
            "developed_unit": world.unit_a_dev.pk,
            "partner_unit": world.unit_a_partner.pk,
            "frequency": "bimonthly",
            "developed_lead": people.developed_staff.pk,
            "partner_lead": people.partner_staff.pk,
            "started_on": "2025-03-01",
        },
    )
    pair = DepartmentPair.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse(
        "pairing:pair_detail", args=[pair.pk]
    )
    assert pair.frequency == "bimonthly" and pair.partner_lead == people.partner_staff
    again = client.post(
        url,
        {
            "developed_unit": world.unit_a_dev.pk,
            "partner_unit": world.unit_a_partner.pk,
            "frequency": "monthly",
            "started_on": "2025-03-01",
        },
    )
    assert again.status_code == 400 and "这两个部门已经结对。" in html(again)


def test_department_staff_may_not_create_edit_or_end_pairs(world, people, dept_pair, login):
    client = login(people.developed_staff)
    assert (
        client.get(reverse("pairing:pair_create") + f"?partnership={world.pair_a.pk}").status_code
        == 403
    )
    assert client.get(reverse("pairing:pair_edit", args=[dept_pair.pk])).status_code == 403
    response = client.post(
        reverse("pairing:pair_end", args=[dept_pair.pk]),
        {"ended_on": "2025-06-30", "version": version_of(dept_pair)},
    )
    assert response.status_code == 403
    dept_pair.refresh_from_db()
    assert dept_pair.ended_on is None


def test_a_stale_pair_edit_answers_409_and_keeps_the_input(world, people, dept_pair, login):
    client = login(people.developed_coordinator)
    stale = version_of(dept_pair)
    services.update_pair(people.partner_coordinator, dept_pair, note="万州方调整")
    response = client.post(
        reverse("pairing:pair_edit", args=[dept_pair.pk]),
        {
            "developed_unit": world.unit_a_dev.pk,
            "partner_unit": world.unit_a_partner.pk,
            "frequency": "quarterly",
            "started_on": "2025-01-01",
            "note": "两江方意见",
            "version": stale,
        },
    )
    assert response.status_code == 409
    assert "两江方意见" in html(response)
    dept_pair.refresh_from_db()
    assert dept_pair.note == "万州方调整" and dept_pair.frequency == "monthly"


def test_a_coordinator_ends_a_pairing(world, people, dept_pair, login):
    client = login(people.partner_coordinator)
    response = client.post(
        reverse("pairing:pair_end", args=[dept_pair.pk]),
        {"ended_on": "2025-06-30", "version": version_of(dept_pair)},
    )
    assert response.status_code == 302
    dept_pair.refresh_from_db()
    assert dept_pair.ended_on == date(2025, 6, 30)
    detail = html(client.get(reverse("pairing:pair_detail", args=[dept_pair.pk])))
    assert "2025年6月30日" in detail


def test_coordinators_set_the_reminder_day_and_the_secondment_range(world, people, login):
    url = reverse("pairing:settings", args=[world.pair_a.pk])
    assert login(people.developed_staff).get(url).status_code == 403
    client = login(people.developed_coordinator)
    page = html(client.get(url))
    assert "每月提醒日" in page and "保存设置前" in page
    bad = client.post(
        url, {"reminder_day": "31", "secondment_minimum": "4", "secondment_target": "3"}
    )
    assert bad.status_code == 400 and not PairingSettings.objects.exists()
    ok = client.post(
        url, {"reminder_day": "15", "secondment_minimum": "2", "secondment_target": "3"}
    )
    assert ok.status_code == 302
    row = PairingSettings.objects.get(partnership=world.pair_a)
    assert (row.reminder_day, row.secondment_minimum, row.secondment_target) == (15, 2, 3)


# --- Recording a work contact ---------------------------------------------------------------


def test_the_record_form_renders_both_sides_and_shows_field_errors(world, people, dept_pair, login):
    client = login(people.developed_staff)
    url = reverse("pairing:contact_create") + f"?pair={dept_pair.pk}"
    page = html(client.get(url))
    assert "登记工作联系" in page
    assert "参加人员 · 支持方" in page and "参加人员 · 协同方" in page
    assert "后续事项" in page and "视频会议" in page
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    bad = client.post(
        url, contact_post(dept_pair, held_on=future, topics="", **{"fu-1-owner_side": ""})
    )
    assert bad.status_code == 400
    text = html(bad)
    assert "请选择事项的责任方。" in text  # the follow-up row without an owner side
    assert not WorkContact.objects.exists()
    bad = client.post(url, contact_post(dept_pair, held_on=future))
    assert bad.status_code == 400
    assert "工作联系须在开展后登记，该日期尚未到来。" in html(bad)
    assert not WorkContact.objects.exists()


def test_a_department_records_a_contact_with_participants_actions_and_a_file(
    world, people, dept_pair, login
):
    client = login(people.developed_staff)
    pdf = SimpleUploadedFile("会议纪要.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    response = client.post(
        reverse("pairing:contact_create") + f"?pair={dept_pair.pk}",
        {**contact_post(dept_pair), "files": [pdf]},
    )
    contact = WorkContact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pairing:contact_detail", args=[contact.pk])
    assert contact.recorded_side == "developed" and contact.status == "awaiting_confirmation"
    assert sorted(contact.participants.values_list("side", "name")) == [
        ("developed", "张伟"),
        ("partner", "刘洋"),
        ("partner", "王芳"),
    ]
    assert [a.text for a in contact.follow_ups.all()] == [
        "梳理万州配套企业清单",
        "组织企业赴两江实地考察",
    ]
    attachment = contact.attachments.get()
    assert attachment.name == "会议纪要.pdf"
    page = html(client.get(response["Location"]))
    assert "待结对另一方确认。" in page and "刘洋" in page and "会议纪要.pdf" in page
    assert 'data-testid="contact-confirm"' not in page  # the recorder never confirms
    download = client.get(reverse("pairing:contact_attachment", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_rejected_file_leaves_no_record(world, people, dept_pair, login):
    client = login(people.developed_staff)
    fake = SimpleUploadedFile("纪要.pdf", b"MZ not a pdf")
    response = client.post(
        reverse("pairing:contact_create"), {**contact_post(dept_pair), "files": [fake]}
    )
    assert response.status_code == 400
    assert "纪要.pdf" in html(response)
    assert not WorkContact.objects.exists()


# --- Confirmation by the other side ---------------------------------------------------------


def test_only_the_other_side_confirms(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    url = reverse("pairing:contact_confirm", args=[contact.pk])
    for user in (people.developed_staff, people.developed_coordinator):
        response = login(user).post(url, {"version": version_of(contact)})
        assert response.status_code == 403
        contact.refresh_from_db()
        assert contact.status == "awaiting_confirmation" and contact.confirmed_by is None
    client = login(people.partner_staff)
    page = html(client.get(reverse("pairing:contact_detail", args=[contact.pk])))
    assert 'data-testid="contact-confirm"' in page and "说明原因后退回" in page
    assert client.post(url, {"version": version_of(contact)}).status_code == 302
    contact.refresh_from_db()
    assert contact.status == "confirmed" and contact.confirmed_by == people.partner_staff
    page = html(client.get(reverse("pairing:contact_detail", args=[contact.pk])))
    assert "已确认" in page and 'data-testid="contact-confirm"' not in page


def test_the_recording_side_cannot_return_its_own_record(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    response = login(people.developed_staff).post(
        reverse("pairing:contact_return", args=[contact.pk]), {"reason": "写错了"}
    )
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.status == "awaiting_confirmation" and contact.return_reason == ""


def test_a_return_needs_a_reason_and_the_recorder_resubmits(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    partner = login(people.partner_staff)
    url = reverse("pairing:contact_return", args=[contact.pk])
    empty = partner.post(url, {"reason": "  ", "version": version_of(contact)})
    assert empty.status_code == 400
    contact.refresh_from_db()
    assert contact.status == "awaiting_confirmation"
    assert (
        partner.post(
            url, {"reason": "日期有误，应为上周五", "version": version_of(contact)}
        ).status_code
        == 302
    )
    contact.refresh_from_db()
    assert contact.status == "returned"

    recorder = login(people.developed_staff)
    detail = html(recorder.get(reverse("pairing:contact_detail", args=[contact.pk])))
    assert "日期有误，应为上周五" in detail and "修改后重新提交" in detail
    edit_url = reverse("pairing:contact_edit", args=[contact.pk])
    assert "保存并重新提请确认" in html(recorder.get(edit_url))
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    data = {
        "held_on": day,
        "form": "symposium",
        "form_other": "",
        "host_side": "partner",
        "place": "万州区",
        "topics": "汽车零部件配套对接（更正）",
        "outcomes": "",
        "version": version_of(contact),
        "resubmit": "1",
        "dev-TOTAL_FORMS": "1",
        "dev-INITIAL_FORMS": "0",
        "dev-0-name": "张伟",
        "par-TOTAL_FORMS": "1",
        "par-INITIAL_FORMS": "0",
    }
    assert recorder.post(edit_url, data).status_code == 302
    contact.refresh_from_db()
    assert contact.status == "awaiting_confirmation" and contact.form == "symposium"
    assert list(contact.participants.values_list("name", flat=True)) == ["张伟"]


def test_a_stale_confirmation_answers_409(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    stale = version_of(contact)
    services.update_contact(people.developed_staff, contact, place="改在万州")
    response = login(people.partner_staff).post(
        reverse("pairing:contact_confirm", args=[contact.pk]), {"version": stale}
    )
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.status == "awaiting_confirmation"


# --- Follow-up → task -----------------------------------------------------------------------


def test_a_coordinator_turns_a_follow_up_into_a_task_from_the_page(world, people, dept_pair, login):
    AgreementFactory(partnership=world.pair_a, year=timezone.localdate().year)
    contact = record(people.developed_staff, dept_pair)
    action = contact.follow_ups.get()
    url = reverse("pairing:follow_up_task", args=[action.pk])
    # Staff of the pair may add actions but not put them on the task list.
    staff = login(people.developed_staff)
    assert 'data-testid="make-task"' not in html(
        staff.get(reverse("pairing:contact_detail", args=[contact.pk]))
    )
    assert staff.post(url).status_code == 403
    assert not Task.objects.exists()

    coordinator = login(people.developed_coordinator)
    page = html(coordinator.get(reverse("pairing:contact_detail", args=[contact.pk])))
    assert "转为任务" in page
    assert coordinator.post(url).status_code == 302
    action.refresh_from_db()
    task = Task.objects.get()
    assert action.task == task and task.code.endswith("-DJ01")
    page = html(coordinator.get(reverse("pairing:contact_detail", args=[contact.pk])))
    assert reverse("conference:task_detail", args=[task.pk]) in page
    # The task page shows where it came from.
    task_page = html(coordinator.get(reverse("conference:task_detail", args=[task.pk])))
    assert "来源于部门结对" in task_page
    assert reverse("pairing:contact_detail", args=[contact.pk]) in task_page


def test_without_an_agreement_the_page_says_why_no_task_is_made(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    action = contact.follow_ups.get()
    client = login(people.developed_coordinator)
    response = client.post(reverse("pairing:follow_up_task", args=[action.pk]), follow=True)
    assert "尚无" in html(response) and "年度协议" in html(response)
    action.refresh_from_db()
    assert action.task is None


def test_a_follow_up_added_on_the_page_needs_a_text_and_a_side(world, people, dept_pair, login):
    contact = record(people.partner_staff, dept_pair, follow_ups=[])
    client = login(people.developed_staff)
    url = reverse("pairing:follow_up_add", args=[contact.pk])
    bad = client.post(url, {"fu-text": "", "fu-owner_side": ""})
    assert bad.status_code == 400 and not contact.follow_ups.exists()
    assert (
        client.post(url, {"fu-text": "互派干部跟岗学习", "fu-owner_side": "developed"}).status_code
        == 302
    )
    assert contact.follow_ups.get().text == "互派干部跟岗学习"


# --- Attachments on the detail page --------------------------------------------------------


def test_files_are_uploaded_and_removed_on_the_contact_page(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    client = login(people.developed_staff)
    png = SimpleUploadedFile("合影.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    response = client.post(
        reverse("pairing:contact_attachment_upload", args=[contact.pk]), {"files": [png]}
    )
    assert response.status_code == 302
    attachment = ContactAttachment.objects.get()
    # The other side's staff did not upload it and may not edit the record: 403.
    assert (
        login(people.partner_staff)
        .post(reverse("pairing:contact_attachment_delete", args=[attachment.pk]))
        .status_code
        == 403
    )
    client = login(people.developed_staff)
    assert (
        client.post(reverse("pairing:contact_attachment_delete", args=[attachment.pk])).status_code
        == 302
    )
    assert not ContactAttachment.objects.exists()


# --- Lists and compliance ---------------------------------------------------------------


def test_the_contact_log_filters_by_month_status_and_form(world, people, dept_pair, login):
    write_contact(
        dept_pair, people.developed_staff, date(2025, 3, 12), topics="三月座谈", form="symposium"
    )
    write_contact(dept_pair, people.developed_staff, date(2025, 4, 8), topics="四月视频会")
    write_contact(
        dept_pair,
        people.developed_staff,
        date(2025, 4, 20),
        topics="四月调研",
        form="field_research",
        status="awaiting_confirmation",
    )
    client = login(people.partner_staff)
    url = reverse("pairing:contact_list")
    page = html(client.get(url, {"month": "2025-04"}))
    assert "四月视频会" in page and "四月调研" in page and "三月座谈" not in page
    assert "工作联系台账" in page
    page = html(client.get(url, {"month": "2025-04", "status": "awaiting_confirmation"}))
    assert "四月调研" in page and "四月视频会" not in page
    assert "待您确认" in page  # the partner side confirms what the developed side recorded
    page = html(client.get(url, {"form": "symposium"}))
    assert "三月座谈" in page and "四月调研" not in page


def test_the_heatmap_shows_states_with_words_and_links_to_the_month(
    world, people, dept_pair, login, at
):
    at(datetime(2025, 4, 15, 2, 0, tzinfo=UTC))
    write_contact(dept_pair, people.developed_staff, date(2025, 1, 10))
    write_contact(
        dept_pair, people.developed_staff, date(2025, 2, 10), status="awaiting_confirmation"
    )
    client = login(people.developed_coordinator)
    response = client.get(
        reverse("pairing:compliance"), {"year": "2025", "partnership": world.pair_a.pk}
    )
    page = html(response)
    assert response.status_code == 200
    for month, state_ in [
        ("2025-01", "held"),
        ("2025-02", "unconfirmed"),
        ("2025-03", "missed"),
        ("2025-04", "not_yet"),
    ]:
        assert f'data-month="{month}" data-state="{state_}"' in page
    for label in ("已开展", "待确认", "未开展", "未到期", "不适用", "图例"):
        assert label in page
    link = (
        reverse("pairing:contact_list")
        + f"?partnership={world.pair_a.pk}&amp;pair={dept_pair.pk}&amp;month=2025-01"
    )
    assert link in page
    # Q1: January held, February awaiting (due, not held), March missed: 1 of 3.
    assert "33%" in page
    last12 = html(client.get(reverse("pairing:compliance"), {"range": "12"}))
    assert 'data-month="2024-05"' in last12 and 'data-month="2025-04"' in last12


# --- Scope and navigation -------------------------------------------------------------------


def test_people_of_another_pair_get_404(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    client = login(people.b_staff)
    assert client.get(reverse("pairing:pair_detail", args=[dept_pair.pk])).status_code == 404
    assert client.get(reverse("pairing:contact_detail", args=[contact.pk])).status_code == 404
    assert client.post(reverse("pairing:contact_confirm", args=[contact.pk])).status_code == 404
    assert "产业促进局" not in html(client.get(reverse("pairing:pair_list")))
    assert "汽车零部件" not in html(client.get(reverse("pairing:contact_list")))


def test_an_enterprise_user_sees_no_pairs_or_contacts(world, people, dept_pair, login):
    contact = record(people.developed_staff, dept_pair)
    client = login(world.users["enterprise_user"])
    for url in (
        reverse("pairing:pair_list"),
        reverse("pairing:pair_detail", args=[dept_pair.pk]),
        reverse("pairing:contact_list"),
        reverse("pairing:contact_detail", args=[contact.pk]),
        reverse("pairing:compliance"),
        reverse("pairing:contact_export"),
        reverse("pairing:compliance_export"),
    ):
        assert client.get(url).status_code == 404, url
    home = html(client.get(reverse("home")))
    assert reverse("pairing:visit_list") in home
    assert reverse("pairing:pair_list") not in home


def test_internal_roles_get_the_pairing_menu(world, people, login):
    page = html(login(people.developed_staff).get(reverse("home")))
    assert 'data-testid="nav-pairing"' in page
    for name in (
        "pair_list",
        "contact_list",
        "compliance",
        "secondment_list",
        "training_list",
        "visit_list",
    ):
        assert reverse(f"pairing:{name}") in page
    assert 'data-testid="nav-pairing"' not in html(
        login(world.users["security_auditor"]).get(reverse("home"))
    )


def test_the_pages_read_in_english_too(world, people, dept_pair, client):
    client.force_login(people.developed_coordinator)
    client.cookies["django_language"] = "en"
    page = html(client.get(reverse("pairing:pair_list")))
    assert "Department pairs" in page and "Not yet due" in page
    page = html(client.get(reverse("pairing:compliance")))
    assert "Contact compliance" in page and "Legend" in page


def test_the_action_lands_on_the_task_list_of_the_current_year(world, people, dept_pair, login):
    """The follow-up's owner side's department leads the task it becomes."""
    AgreementFactory(partnership=world.pair_a, year=timezone.localdate().year)
    contact = record(people.developed_staff, dept_pair)
    action = FollowUpAction.objects.get(contact=contact)
    login(people.partner_coordinator).post(reverse("pairing:follow_up_task", args=[action.pk]))
    task = Task.objects.get()
    assert [tu.unit for tu in task.task_units.filter(role="lead")] == [world.unit_a_partner]


pytestmark = pytest.mark.django_db
