"""Session timeouts and the current partnership of a request."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

from . import scope

SESSION_STARTED = "xietong_started"
SESSION_SEEN = "xietong_seen"
SESSION_PARTNERSHIP = "xietong_partnership"


class SessionTimeoutMiddleware:
    """Ends a session after 30 idle minutes or 12 hours, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            if (
                now - seen > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
                request.session_expired = True
            else:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


class CurrentPartnershipMiddleware:
    """Sets ``request.partnership``: the one chosen in the switcher, else the first visible."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.partnership = None
        if request.user.is_authenticated:
            visible = scope.partnerships(request.user)
            chosen = request.session.get(SESSION_PARTNERSHIP)
            partnership = visible.filter(pk=chosen).first() if chosen else None
            request.partnership = partnership or visible.first()
        return self.get_response(request)
