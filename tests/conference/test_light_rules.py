"""The traffic-light rules page of a programme."""

from xietong.conference.models import LightRules


def test_it_shows_the_default_rules_to_a_member(world, login):
    html = (
        login(world.users["department_staff"])
        .get(f"/conference/rules/{world.programme.pk}/")
        .content.decode()
    )
    assert "35" in html and "3" in html
    assert 'data-testid="save"' not in html


def test_it_lets_the_programme_coordinator_change_them(world, login):
    client = login(world.users["programme_coordinator"])
    response = client.post(
        f"/conference/rules/{world.programme.pk}/",
        {"amber_days_before_due": 5, "amber_days_without_report": 40},
    )
    assert response.status_code == 302
    rules = LightRules.objects.get(programme=world.programme)
    assert (rules.amber_days_before_due, rules.amber_days_without_report) == (5, 40)


def test_it_refuses_a_partnership_coordinator_changing_them(world, login):
    client = login(world.users["partnership_coordinator"])
    response = client.post(
        f"/conference/rules/{world.programme.pk}/",
        {"amber_days_before_due": 9, "amber_days_without_report": 9},
    )
    assert response.status_code == 403
    assert not LightRules.objects.filter(programme=world.programme).exists()


def test_it_hides_another_programmes_rules(world, login):
    client = login(world.users["partnership_coordinator"])
    assert client.get(f"/conference/rules/{world.other_programme.pk}/").status_code == 404
