from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingConfig(AppConfig):
    name = "xietong.pairing"
    label = "pairing"
    verbose_name = _("Department pairing")

    def ready(self) -> None:
        from . import audit, queries  # noqa: F401  (auditlog registration, scope rules)
