"""URLs of the enterprise app (the five databases, profile review, import, postings,
matches, search, networking events)."""

from .views import urlpatterns as _records
from .views_events import urlpatterns as _events
from .views_postings import urlpatterns as _postings

urlpatterns = [*_records, *_postings, *_events]

app_name = "enterprise"
