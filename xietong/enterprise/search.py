"""Search over the five databases, within scope.

Enterprises and products are found through the matching engine of each pair the user sees
(Chinese full text: "焊管" finds the makers of 不锈钢焊管, with the reason) and by name;
projects, technologies and talent by name and a few text fields (icontains). Filters:
side, district, industry (code, its descendants, or a name), size class, label. Every
result list starts from ``core.scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from xietong.core import scope
from xietong.core.models import Partnership

from . import queries
from .models import Enterprise, Product, Project, Talent, Technology
from .suggestions import explain, service

LIMIT = 50


@dataclass
class Results:
    enterprises: list = field(default_factory=list)  # (enterprise, explanation or "")
    products: list = field(default_factory=list)
    projects: list = field(default_factory=list)
    technologies: list = field(default_factory=list)
    talent: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(
            len(x)
            for x in (
                self.enterprises,
                self.products,
                self.projects,
                self.technologies,
                self.talent,
            )
        )


def engine_hits(user, text: str) -> dict[int, str]:
    """Enterprise id → explanation, from the engines of the pairs whose records the user
    sees, best first."""
    pair_ids = scope.queryset(user, Enterprise).values_list("partnership_id", flat=True).distinct()
    found: dict[int, tuple[float, str]] = {}
    for pair in Partnership.objects.filter(pk__in=list(pair_ids)):
        result = service.engine(pair).search(text, top=LIMIT * 2, region_mode=None)
        for hit in result.hits:
            kind, _sep, pk = hit.id.partition(":")
            if kind != "enterprise" or not pk.isdigit():
                continue
            if int(pk) not in found or found[int(pk)][0] < hit.score:
                found[int(pk)] = (hit.score, explain(hit.match.as_dict()))
    ordered = sorted(found.items(), key=lambda kv: -kv[1][0])
    return {pk: why for pk, (_score, why) in ordered}


def search(
    user,
    *,
    q: str = "",
    database: str = "",
    side=None,
    district: str = "",
    industry: str = "",
    size_class: str = "",
    label=None,
) -> Results:
    q, district, industry = (q or "").strip(), (district or "").strip(), (industry or "").strip()
    out = Results()
    wanted = (
        {database}
        if database
        else {
            "enterprise",
            "product",
            "project",
            "technology",
            "talent",
        }
    )
    firm_q = Q()  # what only an enterprise has: district, size class, label
    if district:
        firm_q &= Q(district__icontains=district)
    if size_class:
        firm_q &= Q(size_class=size_class)
    if label is not None:
        firm_q &= Q(labels=label)
    enterprise_q = firm_q
    if side is not None:
        enterprise_q &= Q(side=side)
    if industry:
        enterprise_q &= queries.industry_filter(industry)
    firm_only = bool(district or size_class or label is not None)
    hits = engine_hits(user, q) if q and wanted & {"enterprise", "product"} else {}

    if "enterprise" in wanted:
        qs = scope.queryset(user, Enterprise).filter(enterprise_q)
        if q:
            named = list(
                qs.filter(Q(name__icontains=q) | Q(credit_code__iexact=q))
                .distinct()
                .values_list("pk", flat=True)[:LIMIT]
            )
            by_engine = set(qs.filter(pk__in=list(hits)).values_list("pk", flat=True))
            order = [pk for pk in hits if pk in by_engine] + [
                pk for pk in named if pk not in by_engine
            ]
            firms = Enterprise.objects.select_related("side").in_bulk(order[:LIMIT])
            out.enterprises = [(firms[pk], hits.get(pk, "")) for pk in order[:LIMIT]]
        else:
            out.enterprises = [(e, "") for e in qs.distinct()[:LIMIT]]

    if "product" in wanted:
        qs = scope.queryset(user, Product)
        if side is not None:
            qs = qs.filter(side=side)
        if industry:
            term = industry.upper()
            qs = qs.filter(
                Q(industry__code__startswith=term)
                | Q(industry__section=term)
                | Q(industry__name__icontains=industry)
            )
        if firm_only:
            qs = qs.filter(enterprise__in=Enterprise.objects.filter(firm_q))
        if q:
            qs = qs.filter(
                Q(name__icontains=q) | Q(category__icontains=q) | Q(enterprise_id__in=list(hits))
            )
        out.products = list(qs.distinct()[:LIMIT])

    text_fields = {
        "project": (Project, ["name", "location", "description"], True),
        "technology": (Technology, ["name", "field", "owner", "description"], True),
        "talent": (Talent, ["fields", "title", "employer"], False),
    }
    for key, (model, fields_, has_industries) in text_fields.items():
        if key not in wanted or firm_only:
            continue
        qs = scope.queryset(user, model)
        if side is not None:
            qs = qs.filter(side=side)
        if industry:
            if not has_industries:
                continue
            qs = qs.filter(queries.industry_filter(industry))
        if q:
            text_q = Q()
            for name in fields_:
                text_q |= Q(**{f"{name}__icontains": q})
            qs = qs.filter(text_q)
        setattr(
            out,
            {"project": "projects", "technology": "technologies", "talent": "talent"}[key],
            list(qs.distinct()[:LIMIT]),
        )
    return out
