"""Where definitions are kept and how the loader activity reads them: the one place of the
workflow language that does I/O (folder, blob container, the app's settings and adapters).

The deterministic core (``orchestration``'s other modules) never imports this package; the
contract in ``.importlinter`` holds it so.
"""

from .blob import BlobReader, BlobSource
from .loader import load_requested, sources_from_settings
from .store import (
    DefinitionInvalid,
    DefinitionNotFound,
    DefinitionSource,
    FolderSource,
    StoredDefinition,
    load_definition,
)

__all__ = [
    "BlobReader",
    "BlobSource",
    "DefinitionInvalid",
    "DefinitionNotFound",
    "DefinitionSource",
    "FolderSource",
    "StoredDefinition",
    "load_definition",
    "load_requested",
    "sources_from_settings",
]
