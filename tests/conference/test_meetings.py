"""Joint conferences: the meeting pages, their documents and resolutions, and coordination
issues, as the people of a pair see and use them."""

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.conference.models import (
    AgendaItem,
    Attachment,
    Attendee,
    CoordinationIssue,
    Meeting,
    Resolution,
    Task,
)

from .factories import (
    AgendaItemFactory,
    AttendeeFactory,
    CoordinationIssueFactory,
    MeetingFactory,
    ResolutionFactory,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def meeting(world):
    return MeetingFactory(
        partnership=world.pair_a,
        number=3,
        year=2026,
        date=date(2026, 3, 15),
        place="万州区行政中心",
        convener_developed="两江新区主要领导",
        convener_partner="万州区主要领导",
        minutes="会议听取了2025年度协议执行情况汇报。",
    )


@pytest.fixture
def other_meeting(world):
    return MeetingFactory(partnership=world.pair_b, number=1, place="城口县会议中心")


def _url(name, *args):
    return reverse(f"conference:{name}", args=args)


# --- List and detail ------------------------------------------------------------------


def test_it_lists_the_meetings_of_the_users_pairs_newest_first(world, login, other_meeting):
    MeetingFactory(partnership=world.pair_a, number=1, date=date(2024, 3, 1), place="万州一号")
    MeetingFactory(partnership=world.pair_a, number=2, date=date(2025, 3, 1), place="万州二号")
    response = login(world.users["partnership_coordinator"]).get(_url("meeting_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("万州二号") < html.index("万州一号")
    assert "城口县会议中心" not in html


def test_it_shows_attendees_by_side_and_unit_agenda_minutes_and_resolutions(world, login, meeting):
    AttendeeFactory(
        meeting=meeting, side=world.pair_a.developed_side, org_unit=world.unit_a_dev, name="李明"
    )
    AttendeeFactory(
        meeting=meeting,
        side=world.pair_a.partner_side,
        org_unit=world.unit_a_partner,
        name="王芳",
    )
    AgendaItemFactory(meeting=meeting, title="审议2026年度协议")
    ResolutionFactory(meeting=meeting, number=1, text="共建汽车零部件配套产业园。")
    response = login(world.users["department_staff"]).get(_url("meeting_detail", meeting.pk))
    assert response.status_code == 200
    sides = response.context["sides"]
    assert [side.name for side, _units in sides] == ["两江新区", "万州区"]
    assert [(u.name, [a.name for a in people]) for u, people in sides[0][1]] == [
        ("产业促进局", ["李明"])
    ]
    assert [(u.name, [a.name for a in people]) for u, people in sides[1][1]] == [
        ("区经济信息委", ["王芳"])
    ]
    html = response.content.decode()
    for text in (
        "审议2026年度协议",
        "会议听取了2025年度协议执行情况汇报。",
        "共建汽车零部件配套产业园。",
    ):
        assert text in html
    assert "两江新区主要领导" in html and "万州区主要领导" in html


def test_it_answers_404_to_a_pair_a_coordinator_for_a_meeting_of_pair_b(
    world, login, other_meeting
):
    client = login(world.users["partnership_coordinator"])
    for name in ("meeting_detail", "meeting_edit", "meeting_docx", "attendee_add"):
        assert client.get(_url(name, other_meeting.pk)).status_code in (404, 405)
    assert client.post(_url("attendee_add", other_meeting.pk), {}).status_code == 404
    assert client.get(_url("meeting_detail", other_meeting.pk)).status_code == 404


def test_it_hides_every_meeting_from_an_enterprise_user(world, login, meeting):
    client = login(world.users["enterprise_user"])
    assert client.get(_url("meeting_detail", meeting.pk)).status_code == 404
    html = client.get(_url("meeting_list")).content.decode()
    assert "万州区行政中心" not in html


def test_it_lets_department_staff_view_but_not_create_meetings(world, login, meeting):
    client = login(world.users["department_staff"])
    assert client.get(_url("meeting_detail", meeting.pk)).status_code == 200
    assert client.get(_url("meeting_create")).status_code == 403
    assert client.post(_url("meeting_create"), {"partnership": world.pair_a.pk}).status_code == 403
    assert client.get(_url("meeting_edit", meeting.pk)).status_code == 403
    response = client.post(_url("resolution_add", meeting.pk), {"text": "x"})
    assert response.status_code == 403
    assert not meeting.resolutions.exists()


def test_it_offers_no_write_buttons_to_department_staff(world, login, meeting):
    html = login(world.users["department_staff"]).get(_url("meeting_detail", meeting.pk))
    assert _url("meeting_edit", meeting.pk) not in html.content.decode()
    assert _url("attachment_upload", meeting.pk) not in html.content.decode()


# --- Create and edit ------------------------------------------------------------------


def test_it_prefills_the_next_number_and_the_partner_side_as_place(world, login, meeting):
    response = login(world.users["partnership_coordinator"]).get(_url("meeting_create"))
    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["number"] == 4
    assert form.initial["place"] == "万州区"
    assert form.initial["host_side"] == world.pair_a.partner_side


def test_it_creates_a_meeting_with_the_defaults_filled_in(world, login, meeting):
    response = login(world.users["partnership_coordinator"]).post(
        _url("meeting_create"),
        {
            "partnership": world.pair_a.pk,
            "date": "2027-03-20",
            "status": "planned",
            "convener_developed": "甲",
            "convener_partner": "乙",
        },
    )
    created = Meeting.objects.get(partnership=world.pair_a, number=4)
    assert response.status_code == 302
    assert response["Location"] == _url("meeting_detail", created.pk)
    assert (created.year, created.place, created.host_side) == (
        2027,
        "万州区",
        world.pair_a.partner_side,
    )


def test_it_refuses_a_meeting_number_already_taken(world, login, meeting):
    response = login(world.users["partnership_coordinator"]).post(
        _url("meeting_create"),
        {"partnership": world.pair_a.pk, "number": 3, "date": "2027-03-20", "status": "planned"},
    )
    assert response.status_code == 200
    assert "number" in response.context["form"].errors
    assert Meeting.objects.filter(partnership=world.pair_a).count() == 1


def test_it_refuses_to_create_a_meeting_for_a_pair_the_user_does_not_run(world, login):
    client = login(world.users["partnership_coordinator"])
    response = client.post(
        _url("meeting_create"), {"partnership": world.pair_b.pk, "date": "2027-03-20"}
    )
    assert response.status_code == 200
    assert "partnership" in response.context["form"].errors
    assert not Meeting.objects.filter(partnership=world.pair_b).exists()
    assert client.get(_url("meeting_create") + f"?partnership={world.pair_b.pk}").status_code == 404


def test_it_edits_the_minutes_and_status(world, login, meeting):
    client = login(world.users["partnership_coordinator"])
    form = client.get(_url("meeting_edit", meeting.pk)).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(date="2026-03-15", minutes="会议议定三项事项。", status="held")
    data["host_side"] = meeting.host_side_id
    data.pop("partnership")
    response = client.post(_url("meeting_edit", meeting.pk), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.minutes, meeting.status) == ("会议议定三项事项。", "held")


def test_it_keeps_the_input_when_the_meeting_was_changed_meanwhile(world, login, meeting):
    client = login(world.users["partnership_coordinator"])
    form = client.get(_url("meeting_edit", meeting.pk)).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "partnership"}
    data.update(date="2026-03-15", minutes="我写的纪要。", host_side=meeting.host_side_id)
    Meeting.objects.filter(pk=meeting.pk).update(minutes="另一位协调人写的纪要。")
    response = client.post(_url("meeting_edit", meeting.pk), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "我写的纪要。" in html and "另一位协调人写的纪要。" in html
    meeting.refresh_from_db()
    assert meeting.minutes == "另一位协调人写的纪要。"


def test_it_keeps_the_number_of_a_meeting_edited_with_the_number_left_empty(world, login, meeting):
    client = login(world.users["partnership_coordinator"])
    form = client.get(_url("meeting_edit", meeting.pk)).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "partnership"}
    data.update(number="", date="2026-03-16", host_side=meeting.host_side_id)
    assert client.post(_url("meeting_edit", meeting.pk), data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.number, meeting.date) == (3, date(2026, 3, 16))


# --- Inline rows ----------------------------------------------------------------------


def test_it_adds_and_removes_an_attendee(world, login, meeting):
    client = login(world.users["partnership_coordinator"])
    response = client.post(
        _url("attendee_add", meeting.pk),
        {
            "side": world.pair_a.partner_side.pk,
            "org_unit": world.unit_a_partner.pk,
            "name": "王芳",
            "title": "主任",
        },
    )
    assert response.status_code == 302
    attendee = Attendee.objects.get(meeting=meeting)
    assert (attendee.name, attendee.org_unit) == ("王芳", world.unit_a_partner)
    client.post(_url("attendee_delete", meeting.pk, attendee.pk))
    assert not meeting.attendees.exists()


def test_it_refuses_an_attendee_whose_unit_is_on_the_other_side(world, login, meeting):
    response = login(world.users["partnership_coordinator"]).post(
        _url("attendee_add", meeting.pk),
        {"side": world.pair_a.developed_side.pk, "org_unit": world.unit_a_partner.pk, "name": "x"},
    )
    assert response.status_code == 200
    assert response.context["attendee_form"].errors
    assert not meeting.attendees.exists()


def test_it_keeps_a_resolution_that_tasks_were_made_of(world, login, meeting, task):
    resolution = ResolutionFactory(meeting=meeting, number=1)
    task.resolution = resolution
    task.save()
    client = login(world.users["partnership_coordinator"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.post(_url("resolution_delete", meeting.pk, resolution.pk), follow=True)
    assert "This resolution has tasks and cannot be removed." in response.content.decode()
    assert Resolution.objects.filter(pk=resolution.pk).exists()


def test_it_adds_a_resolution_with_the_next_number(world, login, meeting):
    ResolutionFactory(meeting=meeting, number=1)
    client = login(world.users["partnership_coordinator"])
    client.post(_url("resolution_add", meeting.pk), {"text": "联合举办招商推介会。"})
    assert meeting.resolutions.get(number=2).text == "联合举办招商推介会。"


# --- Coordination issues and the agenda -----------------------------------------------


def test_it_lets_department_staff_raise_an_issue_for_its_pair(world, login):
    client = login(world.users["department_staff"])
    response = client.post(
        _url("issue_create"),
        {"partnership": world.pair_a.pk, "title": "园区用地指标不足", "unit": world.unit_a_dev.pk},
    )
    assert response.status_code == 302
    issue = CoordinationIssue.objects.get()
    assert (issue.title, issue.raised_by, issue.status) == (
        "园区用地指标不足",
        world.unit_a_dev,
        "open",
    )
    assert "园区用地指标不足" in client.get(_url("issue_list")).content.decode()


def test_it_refuses_issues_from_an_enterprise_user(world, login):
    client = login(world.users["enterprise_user"])
    assert client.get(_url("issue_create")).status_code == 403
    assert client.post(_url("issue_create"), {"title": "x"}).status_code == 403
    assert not CoordinationIssue.objects.exists()


def test_it_lists_only_the_issues_of_the_users_pairs(world, login):
    CoordinationIssueFactory(partnership=world.pair_a, title="两江万州问题")
    CoordinationIssueFactory(partnership=world.pair_b, title="渝中城口问题")
    html = login(world.users["partnership_coordinator"]).get(_url("issue_list")).content.decode()
    assert "两江万州问题" in html and "渝中城口问题" not in html


def test_it_offers_open_issues_for_the_agenda_and_marks_the_one_put_on_it(world, login, meeting):
    issue = CoordinationIssueFactory(partnership=world.pair_a, title="物流通道建设滞后")
    CoordinationIssueFactory(partnership=world.pair_b, title="别家的问题")
    client = login(world.users["partnership_coordinator"])
    choices = client.get(_url("meeting_detail", meeting.pk)).context["agenda_form"]
    assert list(choices.fields["issue"].queryset) == [issue]
    response = client.post(
        _url("agenda_add", meeting.pk), {"issue": issue.pk, "presenter": "万州区"}
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get(meeting=meeting)
    issue.refresh_from_db()
    assert (item.title, item.issue, issue.status) == ("物流通道建设滞后", issue, "on_agenda")


def test_it_reopens_an_issue_taken_off_the_agenda(world, login, meeting):
    issue = CoordinationIssueFactory(partnership=world.pair_a, status="on_agenda")
    item = AgendaItemFactory(meeting=meeting, issue=issue)
    login(world.users["partnership_coordinator"]).post(_url("agenda_delete", meeting.pk, item.pk))
    issue.refresh_from_db()
    assert issue.status == "open"


def test_it_lets_a_coordinator_mark_an_issue_resolved_but_not_staff(world, login):
    issue = CoordinationIssueFactory(partnership=world.pair_a)
    staff = login(world.users["department_staff"])
    assert staff.post(_url("issue_status", issue.pk), {"status": "resolved"}).status_code == 403
    coord = login(world.users["partnership_coordinator"])
    coord.post(_url("issue_status", issue.pk), {"status": "resolved"})
    issue.refresh_from_db()
    assert issue.status == "resolved"


# --- Attachments ----------------------------------------------------------------------


def _upload(client, meeting, name, content):
    return client.post(
        _url("attachment_upload", meeting.pk), {"file": SimpleUploadedFile(name, content)}
    )


def test_it_stores_an_upload_under_a_generated_name_and_serves_the_original(
    world, login, meeting, settings
):
    client = login(world.users["partnership_coordinator"])
    response = _upload(client, meeting, "../会议纪要 终稿.pdf", PDF)
    assert response.status_code == 302
    attachment = Attachment.objects.get(meeting=meeting)
    stored = Path(attachment.file.path)
    assert attachment.name == "会议纪要 终稿.pdf"
    assert attachment.content_type == "application/pdf"
    assert stored.is_file() and stored.is_relative_to(settings.MEDIA_ROOT)
    assert "会议纪要" not in stored.name and stored.suffix == ".pdf"
    download = login(world.users["department_staff"]).get(
        _url("attachment_download", attachment.pk)
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert "%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81" in download["Content-Disposition"]  # 会议纪要


def test_it_rejects_a_file_over_20_mb(world, login, meeting):
    big = PDF + b"0" * (20 * 1024 * 1024)
    response = _upload(login(world.users["partnership_coordinator"]), meeting, "大.pdf", big)
    assert response.status_code == 200
    assert "20 MB" in response.context["attachment_form"].errors["file"][0]
    assert not Attachment.objects.exists()


def test_it_rejects_a_file_type_that_is_not_accepted(world, login, meeting):
    response = _upload(
        login(world.users["partnership_coordinator"]), meeting, "setup.exe", b"MZ\x90\x00"
    )
    assert response.status_code == 200
    assert ".pdf" in response.context["attachment_form"].errors["file"][0]
    assert not Attachment.objects.exists()


def test_it_rejects_a_file_whose_content_does_not_match_its_extension(world, login, meeting):
    client = login(world.users["partnership_coordinator"])
    response = _upload(client, meeting, "纪要.docx", PDF)
    assert ".docx" in response.context["attachment_form"].errors["file"][0]
    response = _upload(client, meeting, "纪要.pdf", b"MZ\x90\x00 not a pdf")
    assert ".pdf" in response.context["attachment_form"].errors["file"][0]
    assert not Attachment.objects.exists()


def test_it_answers_404_for_an_attachment_of_another_pair(world, login, other_meeting):
    client = login(world.users["programme_coordinator"])
    _upload(client, other_meeting, "城口.pdf", PDF)
    attachment = Attachment.objects.get()
    assert client.get(_url("attachment_download", attachment.pk)).status_code == 200
    for role in ("partnership_coordinator", "enterprise_user", "security_auditor"):
        response = login(world.users[role]).get(_url("attachment_download", attachment.pk))
        assert response.status_code == 404, role


def test_it_refuses_uploads_from_department_staff(world, login, meeting):
    response = _upload(login(world.users["department_staff"]), meeting, "a.pdf", PDF)
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_it_deletes_an_attachment_and_its_file(
    world, login, meeting, django_capture_on_commit_callbacks
):
    client = login(world.users["partnership_coordinator"])
    _upload(client, meeting, "a.pdf", PDF)
    attachment = Attachment.objects.get()
    path = Path(attachment.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("attachment_delete", attachment.pk))
    assert not Attachment.objects.exists() and not path.exists()


# --- Resolution → tasks ---------------------------------------------------------------


def _rows(world, agreement, *rows):
    data = {
        "agreement": agreement.pk,
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "20",
    }
    for i, (code, title) in enumerate(rows):
        data.update(
            {
                f"form-{i}-code": code,
                f"form-{i}-title": title,
                f"form-{i}-area": "industry",
                f"form-{i}-kind": "project",
                f"form-{i}-lead_units": [world.unit_a_dev.pk],
                f"form-{i}-support_units": [world.unit_a_partner.pk],
                f"form-{i}-start_date": "2026-03-20",
                f"form-{i}-deadline": "2026-12-31",
            }
        )
    return data


def test_it_turns_a_resolution_into_tasks_linked_both_ways(world, login, meeting, agreement):
    resolution = ResolutionFactory(meeting=meeting, number=1, text="共建汽车零部件配套产业园。")
    client = login(world.users["partnership_coordinator"])
    page = client.get(_url("resolution_tasks", resolution.pk))
    assert page.status_code == 200 and page.context["head"].initial["agreement"] == agreement
    response = client.post(
        _url("resolution_tasks", resolution.pk),
        _rows(world, agreement, ("2026-101", "园区选址"), ("2026-102", "招引配套企业")),
    )
    assert response.status_code == 302
    tasks = Task.objects.filter(resolution=resolution).order_by("code")
    assert [(t.code, t.agreement) for t in tasks] == [
        ("2026-101", agreement),
        ("2026-102", agreement),
    ]
    assert [u.name for u in tasks[0].units.order_by("task_units__role")] == [
        "产业促进局",
        "区经济信息委",
    ]
    html = client.get(_url("meeting_detail", meeting.pk)).content.decode()
    assert "园区选址" in html and "招引配套企业" in html


def test_it_ignores_empty_rows_when_turning_a_resolution_into_tasks(
    world, login, meeting, agreement
):
    resolution = ResolutionFactory(meeting=meeting)
    data = _rows(world, agreement, ("2026-101", "园区选址"))
    data["form-TOTAL_FORMS"] = "3"
    login(world.users["partnership_coordinator"]).post(
        _url("resolution_tasks", resolution.pk), data
    )
    assert resolution.tasks.count() == 1


def test_it_refuses_a_task_code_the_agreement_already_has(world, login, meeting, task):
    resolution = ResolutionFactory(meeting=meeting)
    response = login(world.users["partnership_coordinator"]).post(
        _url("resolution_tasks", resolution.pk),
        _rows(world, task.agreement, (task.code, "重复编号")),
    )
    assert response.status_code == 200
    assert task.code in str(response.context["rows"].non_form_errors())
    assert not resolution.tasks.exists()


def test_it_offers_only_agreements_of_the_same_pair(
    world, login, meeting, agreement, other_agreement
):
    resolution = ResolutionFactory(meeting=meeting)
    client = login(world.users["programme_coordinator"])
    head = client.get(_url("resolution_tasks", resolution.pk)).context["head"]
    assert list(head.fields["agreement"].queryset) == [agreement]
    response = client.post(
        _url("resolution_tasks", resolution.pk),
        _rows(world, other_agreement, ("2026-101", "越界任务")),
    )
    assert response.status_code == 200
    assert not Task.objects.filter(resolution=resolution).exists()


def test_it_lets_only_coordinators_turn_resolutions_into_tasks(world, login, meeting, agreement):
    resolution = ResolutionFactory(meeting=meeting)
    assert (
        login(world.users["department_staff"])
        .get(_url("resolution_tasks", resolution.pk))
        .status_code
        == 403
    )
    assert (
        login(world.users["enterprise_user"])
        .get(_url("resolution_tasks", resolution.pk))
        .status_code
        == 404
    )
    assert not Resolution.objects.get(pk=resolution.pk).tasks.exists()
