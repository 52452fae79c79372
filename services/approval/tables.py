"""The approval domain's tables: the policy, approval cases, requests and votes, documents and
their revisions, and the master index."""

from __future__ import annotations

import sqlalchemy as sa

from services._schema import (
    DATABASE_LEN,
    EMAIL_LEN,
    ID_LEN,
    NAME_LEN,
    OBJECT_LEN,
    ROLE_LEN,
    JsonText,
    UtcDateTime,
    metadata,
)

__all__ = [
    "approval_cases",
    "approval_requests",
    "document_revisions",
    "documents",
    "master_index",
    "master_index_versions",
    "policy_critical_databases",
    "policy_escalation_contacts",
    "policy_role_members",
    "policy_roles",
    "policy_routes",
    "policy_settings",
    "policy_tiers",
    "votes",
]

# --- approval policy (seeded from APPROVAL_POLICY_FILE by services.approval.policy) ---------------

policy_tiers = sa.Table(
    "policy_tiers",
    metadata,
    sa.Column("tier", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("sla_hours", sa.Integer, nullable=False),
    sa.Column("condition", sa.Unicode(40), nullable=False),
    sa.Column("condition_values", JsonText, nullable=False),
)

policy_roles = sa.Table(
    "policy_roles",
    metadata,
    sa.Column("name", sa.Unicode(ROLE_LEN), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, unique=True),
    sa.Column("from_tier", sa.Integer, nullable=False),
)

policy_role_members = sa.Table(
    "policy_role_members",
    metadata,
    sa.Column("role", sa.Unicode(ROLE_LEN), sa.ForeignKey("policy_roles.name"), primary_key=True),
    sa.Column("email", sa.Unicode(EMAIL_LEN), primary_key=True),
    sa.Column("name", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("principal_id", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

policy_escalation_contacts = sa.Table(
    "policy_escalation_contacts",
    metadata,
    sa.Column("email", sa.Unicode(EMAIL_LEN), primary_key=True),
    sa.Column("name", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("principal_id", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
)

policy_critical_databases = sa.Table(
    "policy_critical_databases",
    metadata,
    sa.Column("database_name", sa.Unicode(DATABASE_LEN), primary_key=True),
)

policy_routes = sa.Table(
    "policy_routes",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("route", sa.Unicode(20), nullable=False),
    sa.Column("max_tier", sa.Integer, nullable=True),
    sa.Column("min_score", sa.Float, nullable=True),
    sa.Column("no_sensitive_data", sa.Boolean, nullable=False),
)

policy_settings = sa.Table(
    "policy_settings",
    metadata,
    sa.Column("name", sa.Unicode(NAME_LEN), primary_key=True),
    sa.Column("value", sa.UnicodeText, nullable=False),
)

# --- approvals: one case per document revision, one request per (role, approver), one vote
# per request ---------------------------------------------------------------------------------

approval_cases = sa.Table(
    "approval_cases",
    metadata,
    sa.Column("document_id", sa.Unicode(ID_LEN), primary_key=True),
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("instance_id", sa.Unicode(ID_LEN), nullable=False),
    sa.Column("tier", sa.Integer, nullable=False),
    sa.Column("route", sa.Unicode(20), nullable=False),
    sa.Column("required_roles", JsonText, nullable=False),
    sa.Column("assessment", JsonText, nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("escalations", sa.Integer, nullable=False),
    sa.Column("status", sa.Unicode(20), nullable=False),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
)

approval_requests = sa.Table(
    "approval_requests",
    metadata,
    sa.Column("request_id", sa.Unicode(ID_LEN), primary_key=True),
    sa.Column("document_id", sa.Unicode(ID_LEN), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("role", sa.Unicode(ROLE_LEN), nullable=False),  # "*" for an escalation contact
    sa.Column("kind", sa.Unicode(20), nullable=False),  # approver | escalation
    sa.Column("round", sa.Integer, nullable=False),  # 0 at notification, n at escalation n
    sa.Column("position", sa.Integer, nullable=False),  # order within the round: role order
    sa.Column("approver_email", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("approver_name", sa.Unicode(NAME_LEN), nullable=False),
    sa.Column("principal_id", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("deadline", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["document_id", "revision"], ["approval_cases.document_id", "approval_cases.revision"]
    ),
    sa.UniqueConstraint("document_id", "revision", "role", "approver_email", "round"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("vote_id", sa.Unicode(ID_LEN), nullable=False, unique=True),
    sa.Column(
        "request_id",
        sa.Unicode(ID_LEN),
        sa.ForeignKey("approval_requests.request_id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("document_id", sa.Unicode(ID_LEN), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("roles", JsonText, nullable=False),
    sa.Column("decision", sa.Unicode(10), nullable=False),
    sa.Column("comment", sa.UnicodeText, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
)

# --- master index: one row per object, every version kept -------------------------------------

master_index = sa.Table(
    "master_index",
    metadata,
    sa.Column("database_name", sa.Unicode(DATABASE_LEN), primary_key=True),
    sa.Column("physical_name", sa.Unicode(OBJECT_LEN), primary_key=True),
    sa.Column("current_version", sa.Integer, nullable=True),  # None: every version withdrawn
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

master_index_versions = sa.Table(
    "master_index_versions",
    metadata,
    sa.Column("database_name", sa.Unicode(DATABASE_LEN), primary_key=True),
    sa.Column("physical_name", sa.Unicode(OBJECT_LEN), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("document_id", sa.Unicode(ID_LEN), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("entry", JsonText, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn_at", UtcDateTime, nullable=True),
    sa.Column("withdrawn_reason", sa.UnicodeText, nullable=True),
    sa.UniqueConstraint("document_id", "revision"),  # one index version per revision at most
)

# --- documents: where each document stands, and each revision's run ---------------------------
# A document is one object's data-dictionary entry, under one id for good; each schema change
# that reaches it after the previous run ended starts a new revision (1, 2, ...), run by a new
# run of the same workflow instance id. ``documents`` holds the current revision's state.

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.Unicode(ID_LEN), primary_key=True),
    sa.Column("instance_id", sa.Unicode(ID_LEN), nullable=False),
    sa.Column("database_name", sa.Unicode(DATABASE_LEN), nullable=False),
    sa.Column("physical_name", sa.Unicode(OBJECT_LEN), nullable=False),
    sa.Column("change_type", sa.Unicode(20), nullable=False),
    sa.Column("requested_by", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # 0 until a run starts revision 1
    sa.Column("status", sa.Unicode(30), nullable=False),
    sa.Column("draft_url", sa.UnicodeText, nullable=True),
    sa.Column("final_url", sa.UnicodeText, nullable=True),
    sa.Column("library_url", sa.UnicodeText, nullable=True),
    sa.Column("reason", sa.UnicodeText, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

document_revisions = sa.Table(
    "document_revisions",
    metadata,
    sa.Column(
        "document_id", sa.Unicode(ID_LEN), sa.ForeignKey("documents.document_id"), primary_key=True
    ),
    sa.Column("revision", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", sa.Unicode(ID_LEN), nullable=False, unique=True),  # the run that owns it
    sa.Column("change_type", sa.Unicode(20), nullable=False),
    sa.Column("requested_by", sa.Unicode(EMAIL_LEN), nullable=False),
    sa.Column("status", sa.Unicode(30), nullable=False),
    sa.Column("reason", sa.UnicodeText, nullable=True),
    sa.Column("library_url", sa.UnicodeText, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=True),
)
