"""Compliance of the pairing API (read-only): the heatmap and the rates of a partnership's
department pairs (``compliance.py``)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.core import scope
from xietong.core.models import Partnership

from . import compliance
from .api_common import (
    YearQuery,
    side_field,
    year_query,
)
from .models import (
    DepartmentPair,
)

# --- Compliance -----------------------------------------------------------------------


class ContactRateSerializer(serializers.Serializer):
    held = serializers.IntegerField()
    unconfirmed = serializers.IntegerField()
    missed = serializers.IntegerField()
    not_yet = serializers.IntegerField()
    due = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("held / due"))


class QuarterRateSerializer(ContactRateSerializer):
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class CellSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    period = serializers.CharField(help_text=gettext_lazy("First month of the period, YYYY-MM"))
    period_months = serializers.IntegerField()
    status = serializers.ChoiceField(choices=list(compliance.STATES))
    contacts = serializers.IntegerField(
        help_text=gettext_lazy("Contacts held in the month (returned ones left out)")
    )


class GridRowSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    name = serializers.CharField()
    frequency = serializers.ChoiceField(choices=DepartmentPair.Frequency.choices)
    cells = CellSerializer(many=True)
    total = ContactRateSerializer()


class GridSerializer(serializers.Serializer):
    partnership = serializers.IntegerField()
    year = serializers.IntegerField()
    today = serializers.DateField()
    rows = GridRowSerializer(many=True)


class PairRateSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    name = serializers.CharField()
    year = ContactRateSerializer()
    quarters = QuarterRateSerializer(many=True)


class UnitRateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    name = serializers.CharField()
    pairs = serializers.IntegerField()
    year = ContactRateSerializer()
    quarters = QuarterRateSerializer(many=True)


class SideRateSerializer(serializers.Serializer):
    side = side_field()
    year = ContactRateSerializer()
    quarters = QuarterRateSerializer(many=True)
    units = UnitRateSerializer(many=True)
    hosted = serializers.IntegerField()
    recorded = serializers.IntegerField()


class RatesSerializer(serializers.Serializer):
    partnership = serializers.IntegerField()
    year = serializers.IntegerField()
    pairs = PairRateSerializer(many=True)
    sides = SideRateSerializer(many=True)


def _rate(value: compliance.Rate, **extra) -> dict:
    return {
        "held": value.held,
        "unconfirmed": value.unconfirmed,
        "missed": value.missed,
        "not_yet": value.not_yet,
        "due": value.due,
        "rate": value.rate,
        **extra,
    }


def _quarters(quarters: dict) -> list[dict]:
    return [_rate(quarters[q], quarter=q) for q in sorted(quarters)]


class ComplianceViewSet(viewsets.GenericViewSet):
    """The contact rhythm of a partnership's department pairs (read-only): the heatmap of
    a year (``grid``) and the rates by pair, department and side (``rates``). The id is the
    partnership's; one whose internal work the user does not see is a 404."""

    queryset = Partnership.objects.none()
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return scope.internal_partnerships(self.request.user)

    def _pairs(self, partnership: Partnership, year: int):
        return (
            DepartmentPair.objects.filter(
                partnership=partnership, started_on__lte=date(year, 12, 31)
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))
            .select_related("developed_unit", "partner_unit")
        )

    @extend_schema(parameters=[YearQuery], responses=GridSerializer)
    @action(detail=True, methods=["get"])
    def grid(self, request, pk=None):
        """Pairs × months of the year: the state of the period each month belongs to
        (held, unconfirmed, not_yet, missed, not_applicable) and the contacts in the month."""
        partnership = self.get_object()
        year = year_query(request).year_or_current()
        today = timezone.localdate()
        rows = compliance.grid(
            self._pairs(partnership, year), compliance.months_of_year(year), today
        )
        data = {
            "partnership": partnership.pk,
            "year": year,
            "today": today,
            "rows": [
                {
                    "pair": row.pair.pk,
                    "name": str(row.pair),
                    "frequency": row.pair.frequency,
                    "cells": [
                        {
                            "month": f"{cell.month:%Y-%m}",
                            "period": cell.period.key,
                            "period_months": cell.period.months,
                            "status": cell.status,
                            "contacts": cell.contacts,
                        }
                        for cell in row.cells
                    ],
                    "total": _rate(row.total),
                }
                for row in rows
            ],
        }
        return Response(GridSerializer(data).data)

    @extend_schema(parameters=[YearQuery], responses=RatesSerializer)
    @action(detail=True, methods=["get"])
    def rates(self, request, pk=None):
        """Rates of the year and its quarters: per pair, per department over all its pairs,
        per side (with the confirmed contacts each side hosted and recorded)."""
        partnership = self.get_object()
        year = year_query(request).year_or_current()
        today = timezone.localdate()
        pairs = list(self._pairs(partnership, year))
        per_pair = compliance.pair_rates(pairs, year, today)
        sides = compliance.side_rates(pairs, year, today)
        data = {
            "partnership": partnership.pk,
            "year": year,
            "pairs": [
                {
                    "pair": item.pair.pk,
                    "name": str(item.pair),
                    "year": _rate(item.year),
                    "quarters": _quarters(item.quarters),
                }
                for item in per_pair
            ],
            "sides": [
                {
                    "side": side.side,
                    "year": _rate(side.year),
                    "quarters": _quarters(side.quarters),
                    "units": [
                        {
                            "unit": unit.unit.pk,
                            "name": unit.unit.name,
                            "pairs": unit.pairs,
                            "year": _rate(unit.year),
                            "quarters": _quarters(unit.quarters),
                        }
                        for unit in side.units
                    ],
                    "hosted": side.hosted,
                    "recorded": side.recorded,
                }
                for side in sides.values()
            ],
        }
        return Response(RatesSerializer(data).data)
