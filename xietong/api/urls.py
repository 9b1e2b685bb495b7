from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from xietong.conference import api as conference_api
from xietong.core import api as core_api
from xietong.enterprise import api as enterprise_api
from xietong.enterprise import api_events as events_api
from xietong.pairing import api as pairing_api

from . import auth

router = DefaultRouter()
router.register("programmes", core_api.ProgrammeViewSet, basename="programme")
router.register("regions", core_api.RegionViewSet, basename="region")
router.register("partnerships", core_api.PartnershipViewSet, basename="partnership")
router.register("org-units", core_api.OrgUnitViewSet, basename="orgunit")
router.register("meetings", conference_api.MeetingViewSet, basename="meeting")
router.register("agreements", conference_api.AgreementViewSet, basename="agreement")
router.register("tasks", conference_api.TaskViewSet, basename="task")
router.register("reports", conference_api.ReportViewSet, basename="report")
router.register("plans", conference_api.PlanViewSet, basename="plan")
router.register("key-tasks", conference_api.KeyTaskViewSet, basename="keytask")
for prefix, viewset, basename in enterprise_api.ROUTES:
    router.register(prefix, viewset, basename=basename)
for prefix, viewset, basename in events_api.ROUTES:
    router.register(prefix, viewset, basename=basename)
for prefix, viewset, basename in pairing_api.ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/me/", core_api.me, name="api-me"),
    path("v1/auth/token/", auth.LoginView.as_view(), name="api-token"),
    path("v1/auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path("v1/auth/logout-all/", auth.LogoutAllView.as_view(), name="api-logout-all"),
    path("v1/", include((router.urls, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI's page carries one inline <style> block; allow inline styles there only.
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
]
