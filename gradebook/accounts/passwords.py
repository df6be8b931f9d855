"""A password rule Django's validators miss: a password built from the username.

``UserAttributeSimilarityValidator`` compares whole strings, so ``student3student3`` (the
username twice) scores 0.67 against ``student3`` and passes its 0.7 threshold. Here every
occurrence of the username is taken out of the password; what is left must still be a
password of its own.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotBuiltFromUsernameValidator:
    """Refuse a password that is the username repeated, or with a few characters added."""

    def __init__(self, min_rest: int = 6) -> None:
        self.min_rest = min_rest

    def validate(self, password: str, user: Any = None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) < 3:
            return
        rest = re.sub(re.escape(username), "", password, flags=re.IGNORECASE)
        if len(rest) < len(password) and len(rest) < self.min_rest:
            raise ValidationError(
                _(
                    "This password is mostly your username. Take the username out and at least "
                    "%(n)d characters must be left."
                )
                % {"n": self.min_rest},
                code="password_built_from_username",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be your username with a few characters added.")
