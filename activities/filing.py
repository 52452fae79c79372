"""Filing the approved document to the document library, and taking it out again."""

from __future__ import annotations

from typing import Any

from services.drafting import file_document, unfile_document
from wire import to_json

from ._blueprint import Step, blueprint


@blueprint.activity_trigger(input_name="document")
def file_to_library(document: Any) -> dict[str, Any]:
    """Upload the final document as a new version (event ``filed``)."""
    step = Step.of(document)
    filed = to_json(
        file_document(
            step.document_id,
            blobs=step.adapters.blobs,
            library=step.adapters.library,
            revision=step.revision,
        )
    )
    step.commit({"status": "filed", "libraryUrl": filed["libraryUrl"]}, "filed", filed)
    return filed


@blueprint.activity_trigger(input_name="filed")
def unfile_from_library(filed: Any) -> dict[str, Any]:
    """Compensation of ``file_to_library``: remove the version it made (event ``unfiled``).
    The document keeps its library link while an earlier revision's version remains."""
    step = Step.of(filed)
    result = to_json(unfile_document(dict(step.data), library=step.adapters.library))
    step.commit({"libraryUrl": result["currentUrl"]}, "unfiled", result)
    return result
