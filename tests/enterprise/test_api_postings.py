"""The API of postings and matches: scope, workflow actions and who may take them, gated
contact, suggestions, matches to a deal, figures."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from xietong.enterprise.models import Posting

URL = "/api/v1/postings/"


def body(firms, **over):
    today = timezone.localdate()
    data = {
        "partnership": firms.wz_internal.partnership_id,
        "side": firms.wz_internal.side_id,
        "enterprise": firms.wz_internal.pk,
        "kind": "order",
        "direction": "demand",
        "title": "API 采购焊管",
        "subject": "焊管",
        "quantity": "100",
        "unit": "吨",
        "delivery_period": "年底前",
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(),
        "visibility": "both",
        "contact_name": "赵六",
        "contact_phone": "13600001234",
    }
    data.update(over)
    return data


def test_workflow_through_the_api(people, firms, chain, client):
    client.force_login(people["wz_ent"])
    created = client.post(URL, body(firms), content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert created.json()["contact"]["phone"] == "13600001234"  # the poster sees its own
    bad = client.post(URL, body(firms, quantity=None), content_type="application/json")
    assert bad.status_code == 400 and "quantity" in bad.json()
    submitted = client.post(f"{URL}{pk}/submit/")
    assert submitted.json()["status"] == "submitted"
    # The poster may not review; the reviewer must give a reason to return.
    assert client.post(f"{URL}{pk}/review/", {"approve": True}).status_code == 403
    client.force_login(people["wz_staff"])
    assert client.post(f"{URL}{pk}/review/", {"approve": False}).status_code == 400
    done = client.post(f"{URL}{pk}/review/", {"approve": True})
    assert done.status_code == 200 and done.json()["status"] == "published"
    # The partner side sees it, masked; another pair gets 404.
    client.force_login(people["lj_ent"])
    seen = client.get(f"{URL}{pk}/").json()
    assert seen["contact"] == {
        "name": "赵*", "phone": "136****1234", "email": "", "revealed": False,
    }  # fmt: skip
    interest = client.post(f"{URL}{pk}/interest/", {"message": "可供货"}).json()
    client.force_login(people["b_staff"])
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert client.get(URL).json()["count"] == 0
    client.force_login(people["wz_ent"])
    answer = client.post(f"{URL}{pk}/answer/", {"interest": interest["id"], "accept": True})
    assert answer.json()["status"] == "accepted"
    client.force_login(people["lj_ent"])
    assert client.get(f"{URL}{pk}/").json()["contact"]["phone"] == "13600001234"


def test_suggestions_and_match_to_deal_through_the_api(people, firms, chain, client):
    client.force_login(people["wz_ent"])
    pk = client.post(URL, body(firms), content_type="application/json").json()["id"]
    client.post(f"{URL}{pk}/submit/")
    client.force_login(people["wz_staff"])
    client.post(f"{URL}{pk}/review/", {"approve": True})
    client.force_login(people["wz_ent"])
    found = client.get(f"{URL}{pk}/suggestions/").json()
    assert found[0]["enterprise_name"] == "两江共享电子公司" and found[0]["partner_side"]
    assert "不锈钢焊管" in found[0]["explanation"]
    assert "两江锅炉配套公司" not in {s["enterprise_name"] for s in found}
    match = client.post(f"{URL}{pk}/propose/", {"suggestion": found[0]["id"]}).json()
    url = f"/api/v1/matches/{match['id']}/"
    assert client.post(f"{url}advance/", {"status": "deal"}).status_code == 400
    deal = client.post(
        f"{url}advance/",
        {"status": "deal", "contract_value": "88.5", "deal_date": timezone.localdate()},
    )
    assert deal.json()["status"] == "deal" and deal.json()["contract_value"] == "88.50"
    client.force_login(people["lj_coord"])
    stats = client.get("/api/v1/matches/stats/").json()
    assert stats["total"]["deals"] == 1 and stats["total"]["value"] == "88.50"
    client.force_login(people["b_staff"])
    assert client.get(url).status_code == 404
    assert client.post(f"{url}rate/", {"rating": "deal"}).status_code == 404
    assert Posting.objects.get(pk=pk).matches.count() == 1
