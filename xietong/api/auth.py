"""Token sign-in for API clients (knox: tokens expire and can be revoked)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny

from xietong.core.audit import record
from xietong.core.models import SecurityEvent


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class LoginView(knox_views.LoginView):
    """Exchange a username and password for a token (lockout rules apply)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = CredentialsSerializer

    @extend_schema(
        request=CredentialsSerializer,
        responses=inline_serializer(
            "TokenResponse",
            {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
        ),
    )
    def post(self, request, format=None):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed()
        request.user = user
        response = super().post(request, format=format)
        record(SecurityEvent.Kind.TOKEN_CREATED, request._request, user=user)
        return response

    def get_user_serializer_class(self):
        return None

    def get_authenticate_header(self, request):
        # Wrong credentials are a 401 that names the scheme to use, not a 403.
        return "Token"


class LogoutView(knox_views.LogoutView):
    """Revoke the token used for this request."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        record(SecurityEvent.Kind.TOKEN_REVOKED, request._request, user=request.user)
        return super().post(request, format=format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the signed-in user."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        record(SecurityEvent.Kind.TOKEN_REVOKED, request._request, user=request.user, detail="all")
        return super().post(request, format=format)
