"""See the module owner in the package docstring."""

urlpatterns: list = []
