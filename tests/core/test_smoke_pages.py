import pytest


@pytest.mark.parametrize(
    "role", ["system_admin", "programme_coordinator", "partnership_coordinator", "leader"]
)
def test_it_shows_the_home_page_with_the_pair(world, login, role):
    client = login(world.users[role])
    html = client.get("/").content.decode()
    assert "两江新区 ↔ 万州区" in html
