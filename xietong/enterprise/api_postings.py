"""API of postings (with their workflow actions, interest, suggestions) and matches, on
``/api/v1/postings/`` and ``/api/v1/matches/``, with the pages' rules (postings.py,
matches.py): out of scope 404, a step the role may not take 403, a step the state does
not allow 400. The poster's contact is masked unless the reader may see it."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet
from xietong.core.models import Partnership, Region

from . import matches, postings, suggestions
from .models import Enterprise, Interest, Match, Posting, Suggestion


def django_errors(view):
    """Django's ValidationError → 400, PermissionDenied → 403."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                getattr(exc, "message_dict", {"non_field_errors": exc.messages})
            ) from exc

    return wrapper


class PostingSerializer(ScopedRelatedField, serializers.ModelSerializer):
    scoped_fields = {"partnership": Partnership, "side": Region, "enterprise": Enterprise}
    contact = serializers.SerializerMethodField()
    contact_name = serializers.CharField(write_only=True, max_length=40)
    contact_phone = serializers.CharField(write_only=True, max_length=30)
    contact_email = serializers.EmailField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Posting
        fields = [
            "id",
            "partnership",
            "side",
            "enterprise",
            "kind",
            "direction",
            "title",
            "subject",
            "description",
            "quantity",
            "unit",
            "budget",
            "delivery_period",
            "technical_requirements",
            "location",
            "valid_from",
            "valid_until",
            "visibility",
            "contact_name",
            "contact_phone",
            "contact_email",
            "contact",
            "status",
            "outcome",
            "return_reason",
            "published_at",
            "created_at",
        ]
        read_only_fields = ["status", "outcome", "return_reason", "published_at", "created_at"]
        extra_kwargs = {"enterprise": {"required": False, "allow_null": True}}

    def get_contact(self, obj) -> dict:
        request = self.context.get("request")
        return postings.contact_for(request.user, obj, request)


class NoBodySerializer(serializers.Serializer):
    """An action that takes no request body."""


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[Posting.Outcome.FULFILLED, Posting.Outcome.WITHDRAWN]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RenewSerializer(serializers.Serializer):
    valid_until = serializers.DateField()


class InterestSerializer(serializers.ModelSerializer):
    class Meta:
        model = Interest
        fields = ["id", "posting", "enterprise", "message", "status", "created_at"]
        read_only_fields = ["posting", "enterprise", "status", "created_at"]


class AnswerSerializer(serializers.Serializer):
    interest = serializers.IntegerField()
    accept = serializers.BooleanField()


class SuggestionSerializer(serializers.ModelSerializer):
    explanation = serializers.SerializerMethodField()
    enterprise_name = serializers.CharField(source="enterprise.name", default=None)
    other_posting_title = serializers.CharField(source="other_posting.title", default=None)

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "rank",
            "score",
            "partner_side",
            "enterprise",
            "enterprise_name",
            "other_posting",
            "other_posting_title",
            "match",
            "explanation",
        ]

    def get_explanation(self, obj) -> str:
        return suggestions.explain(obj.match)


class ProposeSerializer(serializers.Serializer):
    suggestion = serializers.IntegerField(required=False)
    enterprise = serializers.IntegerField(required=False)


class MatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Match
        fields = [
            "id",
            "posting",
            "enterprise",
            "other_posting",
            "status",
            "explanation",
            "contract_value",
            "deal_date",
            "no_deal_reason",
            "follow_up_rating",
            "created_at",
        ]
        read_only_fields = fields


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Match.Status.choices)
    contract_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    deal_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Match.Rating.choices)


class PostingViewSet(ScopedViewSet):
    """Postings in scope; POST creates a draft; actions move it through its workflow."""

    model = Posting
    serializer_class = PostingSerializer
    filterset_fields = ["partnership", "side", "kind", "direction", "status"]
    search_fields = ["title", "subject", "description"]
    ordering_fields = ["created_at", "valid_until", "published_at"]

    def _done(self, posting, status=200):
        posting = Posting.objects.get(pk=posting.pk)
        context = self.get_serializer_context()
        return Response(PostingSerializer(posting, context=context).data, status=status)

    @django_errors
    def perform_create(self, serializer):
        self._check("create")
        serializer.instance = postings.create(
            self.request.user, Posting(**serializer.validated_data)
        )

    @django_errors
    def perform_update(self, serializer):
        posting = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(posting, key, value)
        postings.edit(self.request.user, posting)

    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    @django_errors
    def submit(self, request, pk=None):
        """Draft or returned → submitted (the poster)."""
        return self._done(postings.submit(request.user, self.get_object()))

    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    @django_errors
    def review(self, request, pk=None):
        """Approve (published when valid) or return with a reason (staff of the side, never
        the poster)."""
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        posting = postings.review(
            request.user,
            self.get_object(),
            approve=body.validated_data["approve"],
            reason=body.validated_data["reason"],
        )
        return self._done(posting)

    @action(detail=True, methods=["post"], serializer_class=CloseSerializer)
    @django_errors
    def close(self, request, pk=None):
        body = CloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        posting = postings.close(
            request.user, self.get_object(), body.validated_data["outcome"],
            body.validated_data["note"],
        )  # fmt: skip
        return self._done(posting)

    @action(detail=True, methods=["post"], serializer_class=RenewSerializer)
    @django_errors
    def renew(self, request, pk=None):
        body = RenewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(
            postings.renew(request.user, self.get_object(), body.validated_data["valid_until"])
        )

    @action(detail=True, methods=["post"], serializer_class=InterestSerializer)
    @django_errors
    def interest(self, request, pk=None):
        """Express interest; the contact is revealed once the poster accepts."""
        interest = postings.express_interest(
            request.user, self.get_object(), str(request.data.get("message", ""))
        )
        return Response(InterestSerializer(interest).data, status=201)

    @action(detail=True, methods=["post"], serializer_class=AnswerSerializer)
    @django_errors
    def answer(self, request, pk=None):
        """The poster accepts or declines an expression of interest."""
        posting = self.get_object()
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        interest = posting.interests.filter(pk=body.validated_data["interest"]).first()
        if interest is None:
            raise exceptions.NotFound()
        interest = postings.answer_interest(
            request.user, interest, accept=body.validated_data["accept"]
        )
        return Response(InterestSerializer(interest).data)

    @action(detail=True, methods=["get"], serializer_class=SuggestionSerializer)
    def suggestions(self, request, pk=None):
        """The counterparts the engine proposed that the reader may see, partner side first."""
        items = suggestions.visible_suggestions(request.user, self.get_object())
        return Response(SuggestionSerializer(items, many=True).data)

    @action(detail=True, methods=["post"], serializer_class=ProposeSerializer)
    @django_errors
    def propose(self, request, pk=None):
        """Turn a suggestion (or a visible enterprise of the pair) into a match."""
        posting = self.get_object()
        body = ProposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        suggestion = enterprise = None
        if body.validated_data.get("suggestion"):
            visible = suggestions.visible_suggestions(request.user, posting)
            suggestion = next(
                (s for s in visible if s.pk == body.validated_data["suggestion"]), None
            )
            if suggestion is None:
                raise exceptions.NotFound()
        elif body.validated_data.get("enterprise"):
            from xietong.core import scope

            enterprise = (
                scope.queryset(request.user, Enterprise)
                .filter(pk=body.validated_data["enterprise"])
                .first()
            )
            if enterprise is None:
                raise exceptions.NotFound()
        match = matches.propose(request.user, posting, suggestion=suggestion, enterprise=enterprise)
        return Response(MatchSerializer(match).data, status=201)


class MatchViewSet(ScopedViewSet):
    """Matches in scope (read); ``advance`` and ``rate`` move them."""

    model = Match
    serializer_class = MatchSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["status", "posting"]
    ordering_fields = ["created_at"]

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST", "Propose a match on its posting.")

    @action(detail=True, methods=["post"], serializer_class=AdvanceSerializer)
    @django_errors
    def advance(self, request, pk=None):
        body = AdvanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        match = matches.advance(
            request.user,
            self.get_object(),
            data["status"],
            contract_value=data.get("contract_value"),
            deal_date=data.get("deal_date"),
            reason=data.get("reason", ""),
        )
        return Response(MatchSerializer(match).data)

    @action(detail=True, methods=["post"], serializer_class=RateSerializer)
    @django_errors
    def rate(self, request, pk=None):
        body = RateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        match = matches.rate(request.user, self.get_object(), body.validated_data["rating"])
        return Response(MatchSerializer(match).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], serializer_class=NoBodySerializer)
    def stats(self, request):
        """Counts, conversion rate and deal values per side, kind and month."""
        data = matches.stats(self.filter_queryset(self.get_queryset()))

        def plain(bucket):
            return {**bucket, "value": str(bucket["value"])}

        return Response(
            {
                "total": plain(data["total"]),
                **{
                    name: [{"key": k, **plain(b)} for k, b in data[name]]
                    for name in ("side", "kind", "month")
                },
            }
        )


ROUTES = [
    ("postings", PostingViewSet, "posting"),
    ("matches", MatchViewSet, "match"),
]
