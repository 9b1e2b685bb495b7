"""Password rule the built-in validators lack: three of four character classes."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        found = sum(1 for pattern in CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix at least 3 of: lower-case letters, upper-case letters, "
            "digits and symbols."
        )
