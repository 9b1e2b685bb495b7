"""Changes of the five databases and of change requests go to django-auditlog."""

from auditlog.registry import auditlog

from .models import (
    ChangeRequest,
    Contact,
    Enterprise,
    MainProduct,
    Product,
    Project,
    Talent,
    Technology,
)

for model in (Enterprise, MainProduct, Product, Project, Technology, ChangeRequest):
    auditlog.register(model, exclude_fields=["updated_at"])
# Personal data: record that it changed, never the value.
auditlog.register(
    Contact, mask_fields=["name", "phone", "email"], mask_callable="xietong.core.audit.mask_secret"
)
auditlog.register(
    Talent,
    exclude_fields=["updated_at"],
    mask_fields=["name", "phone", "email"],
    mask_callable="xietong.core.audit.mask_secret",
)
