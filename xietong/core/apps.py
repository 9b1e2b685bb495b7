from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xietong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers models with auditlog and auth signals)
