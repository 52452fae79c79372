"""The app's domains as plain services over SQLAlchemy: ``approval`` (policy, assessment,
approval requests and signed tokens, ballots, documents, the master index, mail), ``records``
(the audit trail, generic records, quarantine, dead letters, devices, sync runs), ``claims``
and ``drafting``; this package re-exports what the activities and the API use most.

Every function takes an ``Engine`` (and any adapter it needs) plus ``now``: no settings, no wall
clock, so activities, the API and tests pass what they have. ``initialize`` runs once at start.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from services._time import iso, parse_timestamp
from services.approval.approvals import (
    ApprovalRequest,
    DeadlineOutcome,
    OpenedApproval,
    Principal,
    Redemption,
    TokenView,
    close_approval,
    close_in,
    handle_deadline,
    inspect_token,
    open_approval,
    redeem_token,
)
from services.approval.assessment import Assessment, DraftSummary, assess, assess_draft
from services.approval.ballot import Ballot, Vote, current_ballot, record_vote
from services.approval.documents import (
    DocumentRecord,
    DocumentView,
    StartedRevision,
    document_record,
    document_view,
    end_revision,
    register_document,
    start_revision,
    update_document,
)
from services.approval.master_index import (
    IndexEntry,
    IndexRestoration,
    IndexUpdate,
    IndexVersion,
    index_entry,
    restore_previous,
    update_master_index,
)
from services.approval.policy import ApprovalPolicy, load_policy, read_policy_file, seed_policy
from services.approval.tokens import SigningKeys
from services.db import init_schema, metadata
from services.errors import (
    ConcurrencyConflict,
    Conflict,
    DecisionConflict,
    Forbidden,
    Gone,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    PolicyInvalid,
    ServiceError,
    TokenInvalid,
)
from services.ids import derive_id
from services.records.audit import (
    AuditEvent,
    AuditTrail,
    ChainVerification,
    append,
    append_in,
    append_next,
    audit_trail,
    list_events,
    verify_chain,
)
from services.records.quarantine import (
    QuarantinedMessage,
    QuarantinePage,
    QuarantineReceipt,
    get_quarantined,
    list_quarantined,
    quarantine_message,
)

__all__ = [
    "ApprovalPolicy",
    "ApprovalRequest",
    "Assessment",
    "AuditEvent",
    "AuditTrail",
    "Ballot",
    "ChainVerification",
    "ConcurrencyConflict",
    "Conflict",
    "DeadlineOutcome",
    "DecisionConflict",
    "DocumentRecord",
    "DocumentView",
    "DraftSummary",
    "Forbidden",
    "Gone",
    "IdempotencyMismatch",
    "IndexEntry",
    "IndexRestoration",
    "IndexUpdate",
    "IndexVersion",
    "InvalidInput",
    "NotFound",
    "OpenedApproval",
    "PolicyInvalid",
    "Principal",
    "QuarantinePage",
    "QuarantineReceipt",
    "QuarantinedMessage",
    "Redemption",
    "ServiceError",
    "SigningKeys",
    "StartedRevision",
    "TokenInvalid",
    "TokenView",
    "Vote",
    "append",
    "append_in",
    "append_next",
    "assess",
    "assess_draft",
    "audit_trail",
    "close_approval",
    "close_in",
    "current_ballot",
    "derive_id",
    "document_record",
    "document_view",
    "end_revision",
    "get_quarantined",
    "handle_deadline",
    "index_entry",
    "init_schema",
    "initialize",
    "inspect_token",
    "iso",
    "list_events",
    "list_quarantined",
    "load_policy",
    "metadata",
    "open_approval",
    "parse_timestamp",
    "quarantine_message",
    "read_policy_file",
    "record_vote",
    "redeem_token",
    "register_document",
    "restore_previous",
    "seed_policy",
    "start_revision",
    "update_document",
    "update_master_index",
    "verify_chain",
]


def initialize(engine: Engine, policy_file: Path) -> bool:
    """Create the app tables and seed the approval policy; idempotent, call it at every start.

    Returns True when the policy tables changed (first start, or the file changed).
    """
    init_schema(engine)
    return seed_policy(engine, read_policy_file(policy_file))
