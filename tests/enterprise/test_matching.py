"""Matching in the product: suggestions (content, explanations, partner side first, peers
left out, scope), the index kept fresh by the job, reindex, matches and their figures,
follow-ups, the search page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from xietong.core.models import Notification
from xietong.enterprise import matches, postings, suggestions
from xietong.enterprise.models import Enterprise, MainProduct, Match, Posting, Suggestion

from .conftest import credit_code, products
from .test_postings import draft


def publish_demand(people, firms, **over):
    posting = draft(people["wz_ent"], firms.wz_internal, **over)
    postings.submit(people["wz_ent"], posting)
    return postings.review(people["wz_staff"], posting, approve=True)


def test_suggestions_partner_side_first_with_explanations_and_no_peers(people, firms, chain):
    posting = publish_demand(people, firms)
    stored = list(posting.suggestions.order_by("rank"))
    firms_in = [s.enterprise for s in stored if s.enterprise]
    assert chain not in firms_in  # the peer (makes 焊管锅炉 like the poster's 锅炉)
    assert firms.b_shared not in firms_in and firms.wz_internal not in firms_in
    # Partner side (两江) before own side (万州), whatever the tier.
    sides = [s.partner_side for s in stored]
    assert sides == sorted(sides, reverse=True) and sides[0] and not sides[-1]

    staff_view = suggestions.visible_suggestions(people["wz_staff"], posting)
    names = [s.enterprise.name for s in staff_view if s.enterprise]
    assert names == ["两江共享电子公司", "万州共享食品公司"]  # 两江 internal: not shared
    first = staff_view[0]
    # Led by the chain link of the suggested enterprise (both are 3670 汽车零部件).
    assert first.explanation == (
        "Automobile chain · parts and components link: main product no. 2 of the enterprise"
        " “不锈钢焊管” is a kind of the requested “焊管”."
    )
    assert first.match["chain"] == "automobile" and first.match["link"] == "parts"
    assert staff_view[1].explanation == (
        "Automobile chain · parts and components link: main product no. 1 of the enterprise"
        " “焊管” is exactly the requested “焊管”."
    )
    # The enterprise user does not see its own side's other enterprises.
    ent_view = suggestions.visible_suggestions(people["wz_ent"], posting)
    assert [s.enterprise.name for s in ent_view if s.enterprise] == ["两江共享电子公司"]


def test_explanation_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        text = suggestions.explain(
            {"how": "kind_of", "term": "焊管", "product": "不锈钢焊管", "product_rank": 2,
             "field": "products", "target": "enterprise"}
        )  # fmt: skip
    assert "不锈钢焊管" in text and "焊管" in text


def test_opposite_postings_are_suggested(people, firms, chain):
    supply = draft(
        people["lj_staff"], firms.lj_shared, direction=Posting.Direction.SUPPLY,
        title="长期供应焊管", subject="焊管",
    )  # fmt: skip
    postings.submit(people["lj_staff"], supply)
    supply = postings.review(people["lj_coord"], supply, approve=True)
    demand = publish_demand(people, firms)
    found = [s for s in demand.suggestions.all() if s.other_posting_id]
    assert [s.other_posting_id for s in found] == [supply.pk]
    assert suggestions.explain(found[0].match) == (
        "Automobile chain · parts and components link: this posting's item “焊管” is exactly"
        " the requested “焊管”."
    )
    # The supply, refreshed, finds the demand (and no enterprises).
    made = suggestions.refresh(Posting.objects.get(pk=supply.pk))
    assert [(s.other_posting_id, s.enterprise_id) for s in made] == [(demand.pk, None)]
    assert suggestions.explain(made[0].match) == (
        "Automobile chain · parts and components link: the demand asks for “焊管”, exactly the"
        " offered “焊管”."
    )


def test_posting_page_shows_suggestions_and_match_to_deal(people, firms, chain, client):
    posting = publish_demand(people, firms)
    client.force_login(people["wz_ent"])
    page = client.get(reverse("enterprise:posting_detail", args=[posting.pk])).content.decode()
    assert "两江共享电子公司" in page and "不锈钢焊管" in page
    assert "两江锅炉配套公司" not in page and "两江内部汽车部件公司" not in page
    suggestion = Suggestion.objects.get(posting=posting, enterprise=firms.lj_shared)
    response = client.post(
        reverse("enterprise:match_propose", args=[posting.pk]), {"suggestion": suggestion.pk}
    )
    match = Match.objects.get(posting=posting)
    assert response.url == reverse("enterprise:match_detail", args=[match.pk])
    assert match.enterprise == firms.lj_shared and "不锈钢焊管" in match.explanation
    url = reverse("enterprise:match_detail", args=[match.pk])
    for status in ("contacted", "negotiating"):
        client.post(url, {"status": status})
    bad = client.post(url, {"status": "deal"})
    assert "请填写合同金额（万元）" in bad.content.decode()
    today = timezone.localdate()
    client.post(url, {"status": "deal", "contract_value": "320.5", "deal_date": today})
    match.refresh_from_db()
    assert (match.status, match.contract_value, match.deal_date) == (
        "deal",
        Decimal("320.50"),
        today,
    )
    assert list(match.events.values_list("to_status", flat=True)) == [
        "proposed", "contacted", "negotiating", "deal",
    ]  # fmt: skip
    # The counterpart enterprise was told; another pair's staff gets 404.
    assert Notification.objects.filter(user=people["lj_ent"], key__startswith="match-").exists()
    client.force_login(people["b_staff"])
    assert client.get(url).status_code == 404


def test_match_rules(people, firms, chain):
    posting = publish_demand(people, firms)
    with pytest.raises(PermissionDenied):
        matches.propose(people["b_staff"], posting, enterprise=firms.lj_shared)
    with pytest.raises(ValidationError):
        matches.propose(people["wz_ent"], posting, enterprise=firms.b_shared)  # other pair
    match = matches.propose(people["wz_ent"], posting, enterprise=firms.lj_shared)
    with pytest.raises(ValidationError):
        matches.propose(people["wz_staff"], posting, enterprise=firms.lj_shared)  # twice
    matches.advance(people["lj_ent"], match, Match.Status.NEGOTIATING)
    with pytest.raises(ValidationError, match="forward"):
        matches.advance(people["wz_ent"], match, Match.Status.CONTACTED)
    with pytest.raises(ValidationError):
        matches.advance(people["wz_ent"], match, Match.Status.NO_DEAL)
    matches.advance(people["wz_ent"], match, Match.Status.NO_DEAL, reason="价格不合适")
    with pytest.raises(ValidationError, match="concluded"):
        matches.advance(people["wz_staff"], match, Match.Status.DEAL)


def test_stats_per_side_kind_month(people, firms, chain):
    posting = publish_demand(people, firms)
    deal = matches.propose(people["wz_ent"], posting, enterprise=firms.lj_shared)
    matches.advance(
        people["wz_ent"], deal, Match.Status.DEAL, contract_value=Decimal("100"),
        deal_date=timezone.localdate(),
    )  # fmt: skip
    lost = matches.propose(people["wz_staff"], posting, enterprise=firms.wz_shared)
    matches.advance(people["wz_staff"], lost, Match.Status.NO_DEAL, reason="产能不足")
    matches.propose(people["wz_staff"], posting, enterprise=chain)
    data = matches.stats(Match.objects.all())
    assert data["total"] == {
        "matches": 3, "deals": 1, "no_deals": 1, "value": Decimal("100"), "conversion": 33.3,
    }  # fmt: skip
    assert [k for k, _b in data["side"]] == ["万州区"]
    assert [k for k, _b in data["kind"]] == ["Order"]
    month = timezone.localtime(deal.created_at).strftime("%Y-%m")
    assert data["month"][0][0] == month


def test_stats_page_is_for_coordinators_and_staff(people, firms, client):
    client.force_login(people["lj_coord"])
    assert client.get(reverse("enterprise:match_stats")).status_code == 200
    client.force_login(people["lj_ent"])
    assert client.get(reverse("enterprise:match_stats")).status_code == 403


def test_follow_up_asked_once_six_months_later(people, firms, chain):
    posting = publish_demand(people, firms)
    match = matches.propose(people["wz_ent"], posting, enterprise=firms.lj_shared)
    created = timezone.localdate(match.created_at)
    assert matches.ask_follow_ups(created + timedelta(days=170)) == 0
    later = matches.add_months(created, 6)
    assert matches.ask_follow_ups(later) == 1
    assert matches.ask_follow_ups(later) == 0
    assert matches.ask_follow_ups(later + timedelta(days=30)) == 0
    asked = Notification.objects.filter(key=f"match-{match.pk}-follow-up")
    assert set(asked.values_list("user__username", flat=True)) >= {"enterprise_user", "lj_ent"}
    matches.rate(people["lj_ent"], match, Match.Rating.AGREEMENT)
    match.refresh_from_db()
    assert match.follow_up_rating == "agreement"


def test_index_follows_changes_through_the_job(
    people, firms, world, django_capture_on_commit_callbacks
):
    from huey.contrib.djhuey import HUEY

    pair = world.pair_a
    engine = suggestions.service.engine(pair)
    assert not engine.search("需采购精密铸件", region_mode=None).hits
    was = HUEY.immediate
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ent = Enterprise.objects.create(
                partnership=pair, side=pair.developed_side, name="两江精铸公司",
                credit_code=credit_code(88), shared=True,
            )  # fmt: skip
            MainProduct.objects.create(enterprise=ent, position=1, name="精密铸件")
        hits = suggestions.service.engine(pair).search("需采购精密铸件", region_mode=None).hits
        assert [h.id for h in hits] == [f"enterprise:{ent.pk}"]
        with django_capture_on_commit_callbacks(execute=True):
            ent.delete()
        hits = suggestions.service.engine(pair).search("需采购精密铸件", region_mode=None).hits
        assert hits == []
    finally:
        HUEY.immediate = was


def test_reindex_command_rebuilds_every_pair(world, firms, chain):
    out = StringIO()
    call_command("enterprise", "reindex", stdout=out)
    assert "5 records" in out.getvalue()  # pair A: 4 firms + the peer
    assert (suggestions.service.directory(world.pair_a) / "meta.json").is_file()
    with pytest.raises(Exception, match="no partnership"):
        call_command("enterprise", "reindex", "--pair", "999999")


def test_search_page_full_text_with_reasons_within_scope(people, firms, chain, client):
    client.force_login(people["wz_ent"])
    page = client.get(reverse("enterprise:search"), {"q": "焊管"}).content.decode()
    assert "两江共享电子公司" in page
    assert "属于所需「焊管」的一种" in page  # the reason is shown
    assert "两江内部汽车部件公司" not in page and "渝中共享企业" not in page
    filtered = client.get(
        reverse("enterprise:search"), {"q": "焊管", "side": world_side(firms).pk}
    ).content.decode()
    assert "两江共享电子公司" not in filtered
    talent = client.get(reverse("enterprise:search"), {"q": "汽车电子"}).content.decode()
    assert "result-talent" in talent and "13900001111" not in talent
    client.force_login(people["b_staff"])
    page = client.get(reverse("enterprise:search"), {"q": "焊管"}).content.decode()
    assert "渝中共享企业" in page and "两江共享电子公司" not in page


def world_side(firms):
    return firms.wz_internal.side


def test_an_import_rebuilds_the_pairs_index(
    world, firms, people, django_capture_on_commit_callbacks
):
    from huey.contrib.djhuey import HUEY

    from xietong.enterprise import imports

    from .conftest import row, workbook

    pair = world.pair_a
    assert not suggestions.service.engine(pair).search("需采购内饰件", region_mode=None).hits
    was = HUEY.immediate
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = imports.import_file(
                people["wz_staff"], pair, pair.partner_side, "x.xlsx",
                workbook([row(501)]),
            )  # fmt: skip
        assert result.ok and result.created == 1
        hits = suggestions.service.engine(pair).search("需采购内饰件", region_mode=None).hits
        ent = Enterprise.objects.get(credit_code=row(501)["统一社会信用代码"])
        assert [h.id for h in hits] == [f"enterprise:{ent.pk}"]
    finally:
        HUEY.immediate = was


def test_index_updates_are_journalled_and_fresh_after_a_reload_from_disk(world, firms, chain):
    """An update appends to the pair's journal (no full rewrite); another process — here a
    second EngineService — and a service started afresh both see it; a compaction folds
    the journal into the saved index and changes nothing that is found."""
    from xietong.enterprise.suggestions import EngineService
    from xietong.matching.store import JOURNAL

    pair = world.pair_a
    reader = EngineService()  # e.g. a gunicorn worker that loaded the index earlier
    assert not reader.engine(pair).search("需采购精密铸件", region_mode=None).hits
    directory = suggestions.service.directory(pair)
    saved = {p.name: p.stat().st_mtime_ns for p in directory.glob("*.npy")}

    products(firms.wz_shared, "精密铸件")
    suggestions.update_record("enterprise", firms.wz_shared.pk, pair.pk)
    journal = (directory / JOURNAL).read_text(encoding="utf-8")
    assert journal.count("\n") == 1 and "精密铸件" in journal
    assert {p.name: p.stat().st_mtime_ns for p in directory.glob("*.npy")} == saved

    def found(service):
        hits = service.engine(pair).search("需采购精密铸件", region_mode=None).hits
        return [h.id for h in hits]

    gone = firms.wz_shared.pk
    expected = [f"enterprise:{gone}"]
    assert found(reader) == expected
    assert found(EngineService()) == expected  # loaded from disk: saved index + journal
    firms.wz_shared.delete()
    suggestions.update_record("enterprise", gone, pair.pk)
    assert found(reader) == [] and found(EngineService()) == []

    store = suggestions.service.store(pair)
    store.compact_every = 1
    suggestions.update_record("enterprise", firms.lj_shared.pk, pair.pk)
    assert not (directory / JOURNAL).exists()  # folded into a fresh save
    assert found(reader) == [] and found(EngineService()) == []
    hits = EngineService().engine(pair).search("需采购焊管", region_mode=None).hits
    assert f"enterprise:{firms.lj_shared.pk}" in [h.id for h in hits]


def test_index_store_applies_only_complete_journal_lines(tmp_path):
    """A reader never applies a line a writer is still writing."""
    from xietong.matching import Engine, IndexStore, Record
    from xietong.matching.store import JOURNAL

    directory = tmp_path / "ix"
    writer = IndexStore(str(directory))
    writer.replace(Engine.build([Record(id="1", products=["焊管"])]))
    reader = IndexStore(str(directory))
    assert len(reader.engine()) == 1
    writer.update([Record(id="2", products=["精密铸件"])])
    with open(directory / JOURNAL, "ab") as f:
        f.write(b'{"remove":["1"]')  # half-written
    hits = reader.engine().search("需采购精密铸件", region_mode=None).hits
    assert [h.id for h in hits] == ["2"] and len(reader.engine()) == 2
    with open(directory / JOURNAL, "ab") as f:
        f.write(b',"add":[]}\n')
    assert len(reader.engine()) == 1
    assert not reader.engine().search("需采购焊管", region_mode=None).hits
