"""Pages of the pairing app (see urls.py)."""

urlpatterns: list = []
