"""Credentials for the Azure adapters: managed identity in Azure, a fixed token in tests.

Azure clients take a ``TokenCredential``; building it here keeps the choice (which identity,
which client id) in one place instead of in every adapter.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential

__all__ = ["StaticTokenCredential", "azure_credential"]


def azure_credential(client_id: str | None) -> TokenCredential:
    """The app's identity: the user-assigned managed identity ``client_id`` when given.

    ``DefaultAzureCredential`` also accepts a developer's ``az login``, so the Azure adapters can
    be tried from a workstation with the same code path.
    """
    from azure.identity import DefaultAzureCredential  # heavy, Azure only: imported on use

    if client_id:
        return DefaultAzureCredential(managed_identity_client_id=client_id)
    return DefaultAzureCredential()


class StaticTokenCredential:
    """A credential that always returns one token; for pointing adapters at a local server.

    It implements both the sync and the async ``get_token`` shape Azure clients look for.
    """

    def __init__(self, token: str, lifetime_seconds: int = 3600) -> None:
        if not token:
            raise ValueError("token must be a non-empty string")
        self._token = token
        self._lifetime = lifetime_seconds
        self.scopes_requested: list[tuple[str, ...]] = []

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        del claims, tenant_id, enable_cae, kwargs  # one fixed token answers every request
        self.scopes_requested.append(scopes)
        return AccessToken(self._token, int(time.time()) + self._lifetime)

    def close(self) -> None:
        """Nothing to release; present because Azure clients call it."""
