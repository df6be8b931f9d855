"""API token authentication with one hand-written, prepared query per request.

DRF's ``TokenAuthentication`` builds ``Token.objects.select_related("user").get(key=...)``
through the ORM on every API request: 36% of the submit endpoint's CPU and 48% of a bare
endpoint's, measured in one process (docs/benchmarks.md, "Answer submission under load").
This class runs its join through ``gradebook.hotpath``'s machinery (prepared on PostgreSQL)
and builds the same ``Token`` and ``User`` objects; the header parsing, the error messages and
the inactive-user check are DRF's own. A token past ``API_TOKEN_TTL_S`` is refused
(``gradebook.accounts.security``).
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from gradebook.accounts.security import token_is_expired
from gradebook.hotpath import Loader, fetch_one


@functools.cache
def _loaders() -> tuple[Loader, Loader]:
    # Built on first use: the user model is only known once the app registry is ready.
    return Loader(Token, "t"), Loader(get_user_model(), "u")


@functools.cache
def _token_sql() -> str:
    tokens, users = _loaders()
    # Identifiers come from model metadata; the key is a param.
    return (
        f"SELECT {tokens.columns}, {users.columns} FROM {tokens.table} t "  # noqa: S608
        f"JOIN {users.table} u ON u.id = t.user_id WHERE t.key = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, with the lookup written by hand."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if "\x00" in key:
            # PostgreSQL cannot compare text with NUL in it (a 500, not a 401, through the ORM).
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        tokens, users = _loaders()
        connection = connections[DEFAULT_DB_ALIAS]
        row = fetch_one(_token_sql(), [key], connection)
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = tokens.load(row[: tokens.width], connection)
        token.user = users.load(row[tokens.width :], connection)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_is_expired(token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired: get a new one from /api/auth/token/.")
            )
        return token.user, token
