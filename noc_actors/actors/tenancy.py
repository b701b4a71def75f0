"""Moved to ``noc_actors.store.tenancy`` (it reads the database; the storage
layer owns that); kept so existing imports (the Serve app's) keep working."""

from noc_actors.domain.context import ClientContext
from noc_actors.store.tenancy import effective_policy, load_client_context, tenant_policy

__all__ = ["ClientContext", "effective_policy", "load_client_context", "tenant_policy"]
