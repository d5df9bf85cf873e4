"""The database tables, one module per area (see each module).

Two kinds: the record (`record`: everything imported, never thinned) and the public projection
(`public`), derived from the record by `domain.publication.derive_public_factory` and rewritten
in the same transaction as any write that can change it. Public reads touch only the projection
and the programme's tables (`programme`). `metadata` holds every table: its modules are imported
here because a table joins the metadata when its module is imported.
"""

from sqlmodel import SQLModel

# Imported for the tables they register.
from . import (  # noqa: F401
    persisted,
    programme,
    public,
    public_changes,
    record,
    response_reports,
    supplier_responses,
    users,
    webhooks,
)

metadata = SQLModel.metadata
