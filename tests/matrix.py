"""What the per-role tables (``tests/*/test_matrix.py``) share: one test client per module
whose sign-in is a session cookie written once, and forgetting the per-request caches of
what a user may do."""

from __future__ import annotations

from django.conf import settings
from django.test import Client


class MatrixClient(Client):
    """One test client for the whole module, whose sign-in is a cookie.

    A new ``Client`` per test builds the middleware chain again (whitenoise alone scans
    every static file), and ``force_login`` writes a session, axes and audit rows each
    time: most of what a cell of the table cost. Here each person's session is written
    once, with the rest of the world; signing in sets its cookie. (A test's writes to a
    session are rolled back with the test, like everything else.)
    """

    sessions: dict[int, str]

    def force_login(self, user, backend=None):
        self.cookies.clear()
        self.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[user.pk]


def web_client(cast: dict) -> MatrixClient:
    """A client holding a session for every person of ``cast`` (None: anonymous)."""
    web = MatrixClient()
    web.sessions = {}
    for user in cast.values():
        if user is not None:
            once = Client()
            once.force_login(user)
            web.sessions[user.pk] = once.cookies[settings.SESSION_COOKIE_NAME].value
    return web


def forget(user) -> None:
    """Drop the per-request caches of what a user may do (built while the world grew)."""
    if user is not None:
        for name in ("_xietong_enterprise_reach", "_xietong_grants"):
            user.__dict__.pop(name, None)
