"""URLs of the enterprise app (the five databases, profile review, import, postings,
matches, search)."""

from .views import urlpatterns as _records
from .views_postings import urlpatterns as _postings

urlpatterns = [*_records, *_postings]

app_name = "enterprise"
