"""GB/T 4754-2017 is loaded by the migration from the shipped copy, and reloads idempotently."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command

from xietong.enterprise import queries, services
from xietong.enterprise.models import Enterprise, IndustryCode, Label, MainProduct

pytestmark = pytest.mark.django_db


def test_the_migration_loaded_every_code_of_the_standard():
    levels = Counter(IndustryCode.objects.values_list("level", flat=True))
    assert levels == {"section": 20, "division": 97, "group": 473, "class": 1381}
    assert IndustryCode.objects.get(code="1391").name == "淀粉及淀粉制品制造"
    assert IndustryCode.objects.get(code="6532").parent == "653"
    assert Label.objects.filter(name="专精特新").exists()


def test_reloading_changes_nothing_and_repairs_a_changed_name(capsys):
    IndustryCode.objects.filter(code="0111").update(name="改坏了")
    call_command("enterprise", "industry-codes")
    assert "0 created, 1 updated" in capsys.readouterr().out
    assert IndustryCode.objects.get(code="0111").name == "稻谷种植"


@pytest.mark.parametrize(
    ("term", "expected"), [("3670", "3670"), ("c", None), ("智能照明", "3874"), ("", None)]
)
def test_search_by_code_or_name(term, expected):
    found = [c.code for c in queries.search_industries(term)]
    if expected:
        assert expected in found
    elif term:
        assert found and all(code.startswith("C") for code in found)
    else:
        assert found == []


def test_an_enterprise_becomes_a_plain_record_for_the_matching_engine(world, firms):
    ent: Enterprise = firms.lj_internal
    ent.processes = "冲压\n焊接"
    ent.save()
    MainProduct.objects.create(enterprise=ent, position=2, name="内饰件")
    MainProduct.objects.create(enterprise=ent, position=1, name="座椅")
    record = services.matching_record(ent)
    assert record["id"] == f"enterprise:{ent.pk}"
    assert record["products"] == ["座椅", "内饰件"] and record["capabilities"] == ["冲压", "焊接"]
    assert record["industries"] == ["3670"] and record["region"] == ent.side_id
