from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from xietong.core import views as core_views
from xietong.core.forms import LoginForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/", include("xietong.api.urls")),
    path("conference/", include("xietong.conference.urls")),
    path("enterprise/", include("xietong.enterprise.urls")),
    path("pairing/", include("xietong.pairing.urls")),
    path("", include("xietong.core.urls")),
]

handler403 = "xietong.core.views.permission_denied"
handler404 = "xietong.core.views.page_not_found"
handler500 = "xietong.core.views.server_error"
