from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterpriseConfig(AppConfig):
    name = "xietong.enterprise"
    label = "enterprise"
    verbose_name = _("Enterprise collaboration")

    def ready(self) -> None:
        from . import audit, events, queries, signals  # noqa: F401  (auditlog, scope rules, index)
