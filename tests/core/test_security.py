"""Sign-in records, lockout, password rules, session timeouts and the HTTP security baseline."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from xietong.core.middleware import SESSION_SEEN, SESSION_STARTED
from xietong.core.models import SecurityEvent

from ..factories import PASSWORD, UserFactory

PROJECT_DIR = Path(__file__).resolve().parents[2]
OFFICE = "10.20.30.40"
WRONG = "Wrong-Password-1"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def request_token(username, password=PASSWORD):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, "json"
    )


def fail_to_sign_in(client, username, times=5):
    response = None
    for _ in range(times):
        response = sign_in(client, username, WRONG)
    return response


def events(kind, **lookup):
    return SecurityEvent.objects.filter(kind=kind, **lookup)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def age_attempts(username, minutes):
    AccessAttempt.objects.filter(username=username).update(
        attempt_time=F("attempt_time") - timedelta(minutes=minutes)
    )


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_")}
    env.update(
        XIETONG_ENV="production",
        XIETONG_SECRET_KEY=secrets.token_urlsafe(60),
        XIETONG_ALLOWED_HOSTS="xietong.example.gov.cn",
        XIETONG_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="xietong.settings",
        **extra,
    )
    return env


def production_settings(tmp_path, **extra) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_HTTPONLY']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=production_env(tmp_path, **extra),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def person(world):
    return world.users["department_staff"]


# --- What is recorded -------------------------------------------------------------------


def test_it_records_a_sign_in_with_the_address(person, client):
    response = sign_in(client, person.username, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302 and signed_in(client)
    event = events(SecurityEvent.Kind.LOGIN).get()
    assert event.user == person and event.username == person.username and event.ip == OFFICE


def test_it_records_a_failed_sign_in_without_the_password(person, client):
    response = sign_in(client, person.username, WRONG, REMOTE_ADDR=OFFICE)
    assert response.status_code == 200 and not signed_in(client)
    event = events(SecurityEvent.Kind.LOGIN_FAILED).get()
    assert event.user == person and event.ip == OFFICE
    assert WRONG not in f"{event.path}{event.detail}"


def test_it_records_a_failed_sign_in_for_an_unknown_name(world, client):
    sign_in(client, "no_such_person", WRONG)
    event = events(SecurityEvent.Kind.LOGIN_FAILED).get()
    assert event.user is None and event.username == "no_such_person"


def test_it_records_a_sign_out(person, client):
    sign_in(client, person.username)
    client.post(reverse("logout"), REMOTE_ADDR=OFFICE)
    event = events(SecurityEvent.Kind.LOGOUT).get()
    assert event.user == person and event.ip == OFFICE


def test_it_records_a_permission_denial(world, login):
    leader = world.users["leader"]
    response = login(leader).get(reverse("orgunit_create"), REMOTE_ADDR=OFFICE)
    assert response.status_code == 403
    event = events(SecurityEvent.Kind.DENIED).get()
    assert event.user == leader and event.path == reverse("orgunit_create")
    assert event.ip == OFFICE


def test_it_records_an_api_token_sign_in(person):
    response = request_token(person.username)
    assert response.status_code == 200
    assert events(SecurityEvent.Kind.LOGIN, user=person).count() == 1
    assert events(SecurityEvent.Kind.TOKEN_CREATED, user=person).count() == 1


# --- Lockout ----------------------------------------------------------------------------


def test_it_locks_an_account_at_the_fifth_failed_sign_in(person, client):
    assert fail_to_sign_in(client, person.username, times=4).status_code == 200
    response = sign_in(client, person.username, WRONG)
    assert response.status_code == 429
    assert b'data-testid="locked-out"' in response.content
    assert events(SecurityEvent.Kind.LOCKED_OUT, username=person.username).exists()


def test_it_refuses_the_correct_password_while_locked(person, client):
    fail_to_sign_in(client, person.username)
    response = sign_in(client, person.username)
    assert response.status_code == 429
    assert not signed_in(client)
    assert not events(SecurityEvent.Kind.LOGIN).exists()


def test_it_refuses_the_correct_password_on_the_token_endpoint_while_locked(person, client):
    fail_to_sign_in(client, person.username)
    response = request_token(person.username)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "token" not in response.json()
    assert not AuthToken.objects.filter(user=person).exists()


def test_it_counts_failed_token_requests_towards_the_lockout(person, client):
    for _ in range(5):
        request_token(person.username, WRONG)
    assert sign_in(client, person.username).status_code == 429
    assert not signed_in(client)


def test_it_locks_the_account_whatever_address_the_attempts_come_from(person, client):
    for i in range(5):
        sign_in(client, person.username, WRONG, REMOTE_ADDR=f"10.0.0.{i + 1}")
    assert sign_in(client, person.username, REMOTE_ADDR="10.9.9.9").status_code == 429


def test_it_does_not_lock_other_accounts(world, person, client):
    fail_to_sign_in(client, person.username)
    other = world.users["leader"]
    assert sign_in(Client(), other.username).status_code == 302


def test_it_keeps_the_account_locked_for_the_whole_30_minutes(person, client):
    fail_to_sign_in(client, person.username)
    age_attempts(person.username, 29)
    assert sign_in(client, person.username).status_code == 429
    assert not signed_in(client)


def test_it_lets_the_account_in_again_after_30_minutes(person, client):
    fail_to_sign_in(client, person.username)
    age_attempts(person.username, 31)
    response = sign_in(client, person.username)
    assert response.status_code == 302 and signed_in(client)


def test_it_forgets_earlier_failures_after_a_successful_sign_in(person, client):
    fail_to_sign_in(client, person.username, times=4)
    sign_in(client, person.username)
    client.post(reverse("logout"))
    assert fail_to_sign_in(client, person.username, times=4).status_code == 200


# --- Password rules ---------------------------------------------------------------------


def rejection(password, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


def test_it_refuses_a_password_shorter_than_12_characters(world):
    assert "password_too_short" in rejection("Ab1-xyz-Q9", world.users["leader"])


def test_it_refuses_a_password_with_fewer_than_3_character_classes(world):
    assert rejection("correcthorsebattery", world.users["leader"]) == {"password_too_simple"}
    assert rejection("CORRECTHORSE42", world.users["leader"]) == {"password_too_simple"}


def test_it_refuses_a_password_similar_to_the_users_names(world):
    user = UserFactory(username="zhangwei2026", full_name="张伟", email="zw@example.cn")
    assert rejection("Zhangwei2026!", user) == {"password_too_similar"}


def test_it_refuses_a_common_password(world):
    assert rejection("Password1234", world.users["leader"]) == {"password_too_common"}


def test_it_accepts_a_long_mixed_password(world):
    assert rejection("Quiet-Harbour-2031", world.users["leader"]) == set()


def test_it_refuses_a_weak_password_when_a_user_changes_theirs(person, login):
    client = login(person)
    weak = "abcdefghijkl"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


# --- Sessions ---------------------------------------------------------------------------


def rewind_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()
    return session.session_key


def test_it_ends_a_session_idle_for_more_than_30_minutes(person, login):
    client = login(person)
    key = rewind_session(client, **{SESSION_SEEN: 31 * 60})
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()
    event = events(SecurityEvent.Kind.LOGOUT).get()
    assert event.user == person and "idle" in event.detail


def test_it_keeps_a_session_used_within_30_minutes(person, login):
    client = login(person)
    rewind_session(client, **{SESSION_SEEN: 29 * 60})
    assert client.get("/").status_code == 200
    assert int(time.time()) - client.session[SESSION_SEEN] < 60


def test_it_ends_a_session_older_than_12_hours_even_when_in_use(person, login):
    client = login(person)
    key = rewind_session(client, **{SESSION_STARTED: 12 * 3600 + 60, SESSION_SEEN: 60})
    response = client.get("/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert "absolute" in events(SecurityEvent.Kind.LOGOUT).get().detail


def test_it_tells_the_user_why_they_must_sign_in_again(person, login):
    client = login(person)
    rewind_session(client, **{SESSION_SEEN: 31 * 60})
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert response.context["request"].session_expired
    assert b"alert-warning" in response.content


def test_it_sends_an_expired_htmx_request_to_the_sign_in_page(person, login):
    client = login(person)
    rewind_session(client, **{SESSION_SEEN: 31 * 60})
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


def test_it_starts_the_session_clocks_at_sign_in(person, client):
    before = int(time.time())
    sign_in(client, person.username)
    assert client.session[SESSION_STARTED] >= before
    assert client.session[SESSION_SEEN] >= before


def test_it_ends_the_session_on_the_server_at_sign_out(person, client):
    sign_in(client, person.username)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    thief = Client()
    thief.cookies[django_settings.SESSION_COOKIE_NAME] = key
    response = thief.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_refuses_sign_out_by_get(person, client):
    sign_in(client, person.username)
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in(client)


# --- HTTP security baseline -------------------------------------------------------------


def test_it_sends_a_content_security_policy_allowing_only_self(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = directive.partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_it_forbids_framing_and_content_sniffing(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_refuses_a_sign_in_without_a_csrf_token(person):
    client = Client(enforce_csrf_checks=True)
    response = sign_in(client, person.username)
    assert response.status_code == 403
    assert not signed_in(client)


def test_it_marks_the_session_cookie_http_only(person, client):
    sign_in(client, person.username)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME]["httponly"]


def test_it_sends_hsts_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_it_redirects_plain_http_to_https_when_configured(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_it_trusts_the_proxy_header_for_https_when_configured(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_it_answers_the_health_check_over_plain_http(world, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_it_turns_on_secure_cookies_hsts_and_ssl_redirect_in_production(tmp_path):
    values = production_settings(tmp_path)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_it_trusts_x_forwarded_proto_in_production_only_when_told(tmp_path):
    values = production_settings(tmp_path, XIETONG_PROXY_SSL_HEADER="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_it_can_leave_the_https_redirect_to_the_proxy(tmp_path):
    values = production_settings(tmp_path, XIETONG_SSL_REDIRECT="0")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is True


def test_it_passes_the_deploy_check_under_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "xietong", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["XIETONG_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-m", "xietong", "check"],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "XIETONG_SECRET_KEY" in result.stderr
