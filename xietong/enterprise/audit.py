"""Changes of the five databases and of change requests go to django-auditlog."""

from auditlog.registry import auditlog

from .models import (
    ChangeRequest,
    Contact,
    Enterprise,
    MainProduct,
    Match,
    Posting,
    PostingSettings,
    Product,
    Project,
    Talent,
    Technology,
)

for model in (
    Enterprise,
    MainProduct,
    Product,
    Project,
    Technology,
    ChangeRequest,
    Match,
    PostingSettings,
):
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
# Postings: the contact person is personal data.
auditlog.register(
    Posting,
    exclude_fields=["updated_at"],
    mask_fields=["contact_name", "contact_phone", "contact_email"],
    mask_callable="xietong.core.audit.mask_secret",
)
