from django.urls import path

from . import audit_views, views

crud = [
    ("programmes", "programme", views.ProgrammeList, views.ProgrammeDetail, views.ProgrammeCreate,
     views.ProgrammeEdit, views.ProgrammeDelete),
    ("regions", "region", views.RegionList, views.RegionDetail, views.RegionCreate,
     views.RegionEdit, views.RegionDelete),
    ("partnerships", "partnership", views.PartnershipList, views.PartnershipDetail,
     views.PartnershipCreate, views.PartnershipEdit, views.PartnershipDelete),
    ("org-units", "orgunit", views.OrgUnitList, views.OrgUnitDetail, views.OrgUnitCreate,
     views.OrgUnitEdit, views.OrgUnitDelete),
    ("people", "person", views.PersonList, views.PersonDetail, views.PersonCreate,
     views.PersonEdit, views.PersonDelete),
]  # fmt: skip

urlpatterns = [
    path("", views.home, name="home"),
    path("switch-partnership/", views.switch_partnership, name="switch_partnership"),
    path("people/<int:pk>/roles/new/", views.MembershipCreate.as_view(), name="membership_create"),
    path(
        "people/<int:pk>/roles/<int:membership_pk>/delete/",
        views.membership_delete,
        name="membership_delete",
    ),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/security/", audit_views.security_events, name="security_events"),
    path("audit/export.xlsx", audit_views.audit_export, name="audit_export"),
]
for prefix, name, list_view, detail, create, edit, delete in crud:
    urlpatterns += [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/new/", create.as_view(), name=f"{name}_create"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
    ]

# The notification centre (core.notification_views).
from . import notification_views  # noqa: E402

urlpatterns += [
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read/", notification_views.notification_read, name="notification_read"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification_read",
    ),
]
