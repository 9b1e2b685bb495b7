from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConferenceConfig(AppConfig):
    name = "xietong.conference"
    label = "conference"
    verbose_name = _("Joint conference")

    def ready(self) -> None:
        from . import audit, queries  # noqa: F401  (auditlog registration, scope rules)
