"""API of networking events on ``/api/v1/events/``, ``/api/v1/event-registrations/``,
``/api/v1/meeting-requests/`` and ``/api/v1/event-meetings/``, with the pages' rules
(events.py): out of scope 404, a step the role may not take 403 (organisers: the pair's
coordinators and department staff; a participant acts for its own enterprise), a step the
state does not allow or a bad field 400 in DRF's field-error shape. Slots are counted from
1 here, as people count them (the database counts from 0)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xietong.api.base import ScopedRelatedField, ScopedViewSet
from xietong.core import scope
from xietong.core.models import Partnership

from . import events, events_suggest, queries
from .api_postings import NoBodySerializer, django_errors
from .models import (
    Enterprise,
    Event,
    Match,
    MeetingRequest,
    Registration,
    ScheduledMeeting,
)

# --- Serializers ----------------------------------------------------------------------------


class EventFiguresSerializer(serializers.Serializer):
    registrations = serializers.IntegerField()
    requests = serializers.IntegerField()
    accepted = serializers.IntegerField()
    answered = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    scheduled = serializers.IntegerField()
    held = serializers.IntegerField()
    deals = serializers.IntegerField()


class EventSerializer(ScopedRelatedField, serializers.ModelSerializer):
    scoped_fields = {"partnership": Partnership}
    themes = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.Theme.choices), required=False
    )
    organiser = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "partnership",
            "title",
            "date",
            "place",
            "themes",
            "capacity",
            "start_time",
            "slot_minutes",
            "slot_count",
            "tables",
            "status",
            "organiser",
            "figures",
            "created_at",
        ]
        read_only_fields = ["status", "created_at"]

    def get_organiser(self, obj) -> bool:
        request = self.context.get("request")
        return bool(request) and events.is_organiser(request.user, obj)

    @extend_schema_field(EventFiguresSerializer)
    def get_figures(self, obj) -> dict:
        return EventFiguresSerializer(events.figures(obj)).data

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["partnership"].read_only = True  # an event never changes pair
        return fields


class RegistrationSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    side = serializers.IntegerField(source="enterprise.side_id", read_only=True)
    blocked_slots = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "enterprise",
            "enterprise_name",
            "side",
            "delegates",
            "blocked_slots",
            "created_at",
        ]
        read_only_fields = fields

    def get_blocked_slots(self, obj) -> list[int]:
        return [b.slot + 1 for b in obj.blocked_slots.all()]


class RegisterSerializer(serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())
    delegates = serializers.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = scope.queryset(request.user, Enterprise)


class BlockedSlotsSerializer(serializers.Serializer):
    slots = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True)


class EventMeetingRequestSerializer(serializers.ModelSerializer):
    from_enterprise = serializers.CharField(
        source="from_registration.enterprise.name", read_only=True
    )
    to_enterprise = serializers.CharField(source="to_registration.enterprise.name", read_only=True)
    event = serializers.IntegerField(source="from_registration.event_id", read_only=True)

    class Meta:
        model = MeetingRequest
        fields = [
            "id",
            "event",
            "from_registration",
            "from_enterprise",
            "to_registration",
            "to_enterprise",
            "preference",
            "status",
            "message",
            "expires_at",
            "created_at",
            "answered_at",
        ]
        read_only_fields = ["status", "expires_at", "created_at", "answered_at"]
        extra_kwargs = {"message": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            visible = scope.queryset(request.user, Registration)
            for name in ("from_registration", "to_registration"):
                self.fields[name].queryset = visible


class MeetingAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()


class EventMeetingSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="event_id", read_only=True)
    slot = serializers.SerializerMethodField()
    starts_at = serializers.SerializerMethodField()
    from_enterprise = serializers.CharField(
        source="request.from_registration.enterprise.name", read_only=True
    )
    to_enterprise = serializers.CharField(
        source="request.to_registration.enterprise.name", read_only=True
    )
    preference = serializers.CharField(source="request.preference", read_only=True)

    class Meta:
        model = ScheduledMeeting
        fields = [
            "id",
            "event",
            "request",
            "slot",
            "starts_at",
            "table",
            "from_enterprise",
            "to_enterprise",
            "preference",
            "pinned",
            "held",
            "deal",
            "follow_up",
            "match",
        ]
        read_only_fields = fields

    def get_slot(self, obj) -> int:
        return obj.slot + 1

    def get_starts_at(self, obj) -> str:
        return obj.event.slot_start(obj.slot).strftime("%H:%M")


class MoveSerializer(serializers.Serializer):
    slot = serializers.IntegerField(min_value=1)
    table = serializers.IntegerField(min_value=1)


class OutcomeSerializer(serializers.Serializer):
    held = serializers.BooleanField()
    deal = serializers.BooleanField(required=False, default=False)
    follow_up = serializers.CharField(required=False, allow_blank=True, default="")
    match = serializers.IntegerField(required=False, allow_null=True, default=None)


class NotPlacedSerializer(serializers.Serializer):
    request = serializers.IntegerField(source="request.pk")
    reason = serializers.CharField()


class ScheduleBuiltSerializer(serializers.Serializer):
    meetings = EventMeetingSerializer(many=True)
    not_placed = NotPlacedSerializer(many=True)


class MeetingSuggestionSerializer(serializers.Serializer):
    registration = serializers.IntegerField(source="registration.pk")
    enterprise = serializers.IntegerField(source="registration.enterprise_id")
    enterprise_name = serializers.CharField(source="registration.enterprise.name")
    partner_side = serializers.BooleanField()
    score = serializers.FloatField()
    explanation = serializers.CharField()


class EventAgendaSerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    enterprise_name = serializers.CharField()
    meetings = EventMeetingSerializer(many=True)


# --- Viewsets -------------------------------------------------------------------------------


def _meetings(event: Event):
    return ScheduledMeeting.objects.filter(event=event).select_related(
        "event", "request__from_registration__enterprise", "request__to_registration__enterprise"
    )


class EventViewSet(ScopedViewSet):
    """Networking events of the pairs the user sees (others: 404). Organisers create and
    change them and run their workflow; participants register and read their agenda."""

    model = Event
    serializer_class = EventSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    filterset_fields = ["partnership", "status"]
    search_fields = ["title", "place"]
    ordering_fields = ["date", "title"]

    def _done(self, event, status=200):
        event = Event.objects.get(pk=event.pk)
        context = self.get_serializer_context()
        return Response(EventSerializer(event, context=context).data, status=status)

    def create(self, request, *args, **kwargs):
        r = queries.reach(request.user)
        if not (r.admin or r.staff_sides):
            raise exceptions.PermissionDenied()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._create(serializer)

    @django_errors
    def _create(self, serializer):
        event = events.create(self.request.user, Event(**serializer.validated_data))
        return self._done(event, 201)

    @django_errors
    def perform_update(self, serializer):
        serializer.instance = events.update(
            self.request.user, serializer.instance, dict(serializer.validated_data)
        )

    def _act(self, service, pk):
        return self._done(service(self.request.user, self.get_object()))

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="open", serializer_class=NoBodySerializer)
    @django_errors
    def open_registration(self, request, pk=None):
        """Draft → open for registration (organisers)."""
        return self._act(events.open_registration, pk)

    @extend_schema(request=None, responses=ScheduleBuiltSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    @django_errors
    def build(self, request, pk=None):
        """Build (or rebuild) the draft schedule; pinned meetings stay where they are."""
        event = self.get_object()
        left = events.build_schedule(request.user, event)
        return Response(
            ScheduleBuiltSerializer({"meetings": _meetings(event), "not_placed": left}).data
        )

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    @django_errors
    def publish(self, request, pk=None):
        """Publish the drafted schedule (organisers)."""
        return self._act(events.publish, pk)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    @django_errors
    def held(self, request, pk=None):
        """Mark a published event as held, on or after its date (organisers)."""
        return self._act(events.mark_held, pk)

    @extend_schema(request=RegisterSerializer, responses={201: RegistrationSerializer})
    @action(detail=True, methods=["post"], serializer_class=RegisterSerializer)
    @django_errors
    def register(self, request, pk=None):
        """Register an enterprise of the pair: one's own, or any for an organiser."""
        event = self.get_object()
        body = RegisterSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        enterprise = body.validated_data["enterprise"]
        reg = events.register(request.user, event, enterprise, body.validated_data["delegates"])
        return Response(RegistrationSerializer(reg).data, status=201)

    @extend_schema(responses=RegistrationSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=RegistrationSerializer)
    def registrations(self, request, pk=None):
        """The participants of the event."""
        event = self.get_object()
        regs = event.registrations.select_related("enterprise").prefetch_related("blocked_slots")
        return Response(RegistrationSerializer(regs, many=True).data)

    @extend_schema(responses=EventMeetingSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=EventMeetingSerializer)
    def meetings(self, request, pk=None):
        """The schedule: every meeting for the organisers, one's own for a participant."""
        event = self.get_object()
        qs = scope.queryset(request.user, ScheduledMeeting).filter(event=event)
        if not events.is_organiser(request.user, event):
            own = queries.reach(request.user).enterprises
            qs = qs.filter(
                Q(request__from_registration__enterprise_id__in=own)
                | Q(request__to_registration__enterprise_id__in=own)
            )
            if event.status not in (Event.Status.PUBLISHED, Event.Status.HELD):
                qs = qs.none()  # a draft is the organisers' until published
        return Response(EventMeetingSerializer(qs, many=True).data)

    @action(detail=True, methods=["get"], serializer_class=EventFiguresSerializer)
    def figures(self, request, pk=None):
        """Requests, acceptance rate, meetings scheduled and held, agreements (as on the
        event's page)."""
        event = self.get_object()
        return Response(EventFiguresSerializer(events.figures(event)).data)

    @extend_schema(responses=EventAgendaSerializer(many=True))
    @action(
        detail=True, methods=["get"], url_path="my-agenda", serializer_class=EventAgendaSerializer
    )
    def my_agenda(self, request, pk=None):
        """The user's own enterprises' meetings, once the schedule is published."""
        event = self.get_object()
        own = event.registrations.filter(
            enterprise_id__in=queries.reach(request.user).enterprises
        ).select_related("enterprise")
        published = event.status in (Event.Status.PUBLISHED, Event.Status.HELD)
        items = [
            {
                "registration": reg.pk,
                "enterprise_name": reg.enterprise.name,
                "meetings": events.agenda(reg) if published else [],
            }
            for reg in own
        ]
        return Response(EventAgendaSerializer(items, many=True).data)

    @extend_schema(responses=MeetingSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=MeetingSuggestionSerializer)
    def suggestions(self, request, pk=None):
        """Participants worth meeting for the user's own registration (or, for an
        organiser, the one named by ``?registration=``), from the matching engine."""
        event = self.get_object()
        regs = event.registrations.select_related("enterprise")
        if events.is_organiser(request.user, event):
            wanted = request.query_params.get("registration", "")
            regs = regs.filter(pk=int(wanted)) if wanted.isdigit() else regs.none()
        else:
            regs = regs.filter(enterprise_id__in=queries.reach(request.user).enterprises)
        out = [s for reg in regs for s in events_suggest.suggest(reg)]
        return Response(MeetingSuggestionSerializer(out, many=True).data)


class RegistrationViewSet(ScopedViewSet):
    """Registrations of visible events (read); ``blocked-slots`` sets when one cannot meet."""

    model = Registration
    serializer_class = RegistrationSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["event", "enterprise"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("blocked_slots")

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST", "Register on the event.")

    @action(
        detail=True,
        methods=["post"],
        url_path="blocked-slots",
        serializer_class=BlockedSlotsSerializer,
    )
    @extend_schema(request=BlockedSlotsSerializer, responses=RegistrationSerializer)
    @django_errors
    def blocked_slots(self, request, pk=None):
        """Replace the slots (from 1) in which the enterprise cannot meet."""
        reg = self.get_object()
        body = BlockedSlotsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        events.set_blocked_slots(request.user, reg, [s - 1 for s in body.validated_data["slots"]])
        return Response(RegistrationSerializer(self.get_queryset().get(pk=reg.pk)).data)


class MeetingRequestViewSet(ScopedViewSet):
    """Meeting requests the user sees: all of the pair for its organisers and internal
    readers, those sent or received by one's own enterprise otherwise. POST sends one."""

    model = MeetingRequest
    serializer_class = EventMeetingRequestSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["status", "preference", "from_registration", "to_registration"]
    ordering_fields = ["created_at"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._send(serializer.validated_data)

    @django_errors
    def _send(self, data):
        req = events.request_meeting(
            self.request.user,
            data["from_registration"],
            data["to_registration"],
            data.get("preference", MeetingRequest.Preference.WOULD_LIKE),
            data.get("message", ""),
        )
        return Response(self.get_serializer(req).data, status=201)

    @extend_schema(request=MeetingAnswerSerializer, responses=EventMeetingRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=MeetingAnswerSerializer)
    @django_errors
    def answer(self, request, pk=None):
        """Accept or decline (only the enterprise asked, before the answer date)."""
        body = MeetingAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        req = events.answer(request.user, self.get_object(), accept=body.validated_data["accept"])
        return Response(EventMeetingRequestSerializer(req).data)


class MeetingViewSet(ScopedViewSet):
    """Scheduled meetings (read); organisers move (and so pin) them, unpin them and record
    what came of them."""

    model = ScheduledMeeting
    serializer_class = EventMeetingSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["event", "pinned", "held", "deal"]

    def get_queryset(self):
        qs = super().get_queryset()
        r = queries.reach(self.request.user)
        if r.admin:
            return qs
        # a draft schedule is the organisers'; participants see theirs once it is published
        return qs.filter(
            Q(event__partnership_id__in={p for p, _s in r.staff_sides})
            | Q(event__status__in=[Event.Status.PUBLISHED, Event.Status.HELD])
        )

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST", "Build the schedule on the event.")

    @extend_schema(request=MoveSerializer, responses=EventMeetingSerializer)
    @action(detail=True, methods=["post"], serializer_class=MoveSerializer)
    @django_errors
    def move(self, request, pk=None):
        """Move to another slot and table (from 1); the meeting is then pinned."""
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = events.move_meeting(
            request.user,
            self.get_object(),
            body.validated_data["slot"] - 1,
            body.validated_data["table"],
        )
        return Response(EventMeetingSerializer(meeting).data)

    @extend_schema(request=None, responses=EventMeetingSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoBodySerializer)
    @django_errors
    def unpin(self, request, pk=None):
        """Let the next rebuild place the meeting like any other."""
        meeting = events.unpin_meeting(request.user, self.get_object())
        return Response(EventMeetingSerializer(meeting).data)

    @extend_schema(request=OutcomeSerializer, responses=EventMeetingSerializer)
    @action(detail=True, methods=["post"], serializer_class=OutcomeSerializer)
    @django_errors
    def outcome(self, request, pk=None):
        """Record whether it took place, the follow-up, an agreement and the match it
        followed up (organisers, once the event is held)."""
        meeting = self.get_object()
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        match = None
        if data["match"] is not None:
            match = scope.queryset(request.user, Match).filter(pk=data["match"]).first()
            if match is None:
                raise serializers.ValidationError(
                    {"match": [_("That match is not one you can see.")]}
                )
        meeting = events.record_outcome(
            request.user,
            meeting,
            held=data["held"],
            deal=data["deal"],
            follow_up=data["follow_up"],
            match=match,
        )
        return Response(EventMeetingSerializer(meeting).data)


ROUTES = [
    ("events", EventViewSet, "event"),
    ("event-registrations", RegistrationViewSet, "event-registration"),
    ("meeting-requests", MeetingRequestViewSet, "meeting-request"),
    ("event-meetings", MeetingViewSet, "event-meeting"),
]
