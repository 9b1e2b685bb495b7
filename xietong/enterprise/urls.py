"""URLs of the enterprise app (the five databases, profile review, import)."""

from .views import urlpatterns  # noqa: F401

app_name = "enterprise"
