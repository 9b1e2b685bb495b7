"""Session timeouts, the audit context and the current partnership of a request."""

from __future__ import annotations

import time
import uuid

from auditlog.cid import correlation_id
from auditlog.context import set_extra_data
from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from . import scope
from .audit import client_ip, current_request

SESSION_STARTED = "xietong_started"
SESSION_SEEN = "xietong_seen"
SESSION_PARTNERSHIP = "xietong_partnership"
SESSION_EXPIRED = "xietong_expired"  # set on the fresh session, so sign-in can say why

# Paths that must answer without reading the session (the health check answers 503 when
# the database is down, and reading a session needs the database).
SESSIONLESS_PATHS = frozenset({"/healthz"})

# The last-seen time is written at most once a minute, not on every request.
SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    """Ends a session after 30 idle minutes or 12 hours, whichever comes first.

    Both clocks start at sign-in (core.audit sets them); the session row is deleted, so
    the old cookie no longer signs anyone in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in SESSIONLESS_PATHS:
            return self.get_response(request)
        if not request.user.is_authenticated:
            if SESSION_EXPIRED in request.session:
                request.session_expired = request.session.pop(SESSION_EXPIRED)
            return self.get_response(request)
        now = int(time.time())
        started = request.session.setdefault(SESSION_STARTED, now)
        seen = request.session.get(SESSION_SEEN, now)
        reason = ""
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
            reason = "session expired (absolute)"
        elif now - seen > settings.SESSION_IDLE_TIMEOUT:
            reason = "session expired (idle)"
        if reason:
            request.session_expired = reason  # read by the sign-out record in core.audit
            logout(request)  # deletes the session row: the old cookie is worthless now
            request.session[SESSION_EXPIRED] = reason
            if request.headers.get("HX-Request"):
                # An htmx call would swap the sign-in page into a fragment: reload instead.
                response = HttpResponse(status=204)
                response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                return response
        elif now - seen >= SEEN_RESOLUTION or SESSION_SEEN not in request.session:
            request.session[SESSION_SEEN] = now
        return self.get_response(request)


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """django-auditlog's middleware, with the actor and address this platform trusts.

    The actor is read when a log entry is written (core.audit), not when the request
    arrives, so changes made through an API token are attributed too. The address comes
    from ``core.audit.client_ip``, which ignores X-Forwarded-For unless a trusted proxy
    sent it (the library's own reading trusts any client's header). The correlation id
    that groups the entries of one request is made here, not read from a client header.
    """

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None

    @staticmethod
    def _get_actor(request):
        return None

    def __call__(self, request):
        request_token = current_request.set(request)
        cid_token = correlation_id.set(uuid.uuid4().hex)
        try:
            with set_extra_data(context_data=self.get_extra_data(request)):
                return self.get_response(request)
        finally:
            correlation_id.reset(cid_token)
            current_request.reset(request_token)


class CurrentPartnershipMiddleware:
    """Sets ``request.partnership``: the one chosen in the switcher, else the first visible.

    Lazy: requests that never look at it (API calls, static pages) pay nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.partnership = SimpleLazyObject(lambda: self._current(request))
        return self.get_response(request)

    @staticmethod
    def _current(request):
        if request.path in SESSIONLESS_PATHS or not request.user.is_authenticated:
            return None
        visible = scope.partnerships(request.user)
        chosen = request.session.get(SESSION_PARTNERSHIP)
        partnership = visible.filter(pk=chosen).first() if chosen else None
        return partnership or visible.first()


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; a government
    platform speaks the default language (XIETONG_LANGUAGE) until the user picks another.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
