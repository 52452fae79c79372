"""The document-approval shape (DESIGN.md §3) expressed in the language, end to end.

Not the project's workflows/document-approval.json (another engineer owns it): a definition of
the same shape proving the language can express it: tiered approval, a loop of event waits
until every role decided, a deadline fixed at notification time, escalation that extends it by
24h, and compensation when the deadline passes again.
"""

from __future__ import annotations

from typing import Any

from wf_harness import record_vote, workflow

from orchestration.validation import validate_document

ACTIVITIES = [
    "record_event",
    "generate_draft",
    "delete_draft",
    "assess_document",
    "notify_approvers",
    "record_vote",
    "escalate",
    "generate_final",
    "file_document",
    "update_master_index",
]


def approval() -> dict[str, Any]:
    def audit(kind: str, then: str) -> dict[str, Any]:
        return {
            "type": "task",
            "activity": "record_event",
            "input": {"documentId.$": "$.input.documentId", "kind": kind},
            "next": then,
        }

    return workflow(
        "approval",
        {
            "Received": audit("received", "Draft"),
            "Draft": {
                "type": "task",
                "activity": "generate_draft",
                "input": {"documentId.$": "$.input.documentId"},
                "resultPath": "$.state.draft",
                "retry": {"maxAttempts": 3, "interval": "PT10S"},
                "compensate": {
                    "activity": "delete_draft",
                    "input": {"blob.$": "$.state.draft.blob"},
                },
                "next": "Assess",
            },
            "Assess": {
                "type": "task",
                "activity": "assess_document",
                "input": {"draft.$": "$.state.draft"},
                "resultPath": "$.state.assessment",
                "next": "Notify",
            },
            "Notify": {
                "type": "task",
                "activity": "notify_approvers",
                "input": {"roles.$": "$.state.assessment.roles"},
                "resultPath": "$.state.ballot",
                "next": "SetDeadline",
            },
            "SetDeadline": {
                "type": "pass",
                "resultPath": "$.state.deadline",
                "next": "AwaitVote",
                "result": {
                    "at.$": "addDuration(now(), $.state.assessment.sla)",
                    "escalated": False,
                },
            },
            "AwaitVote": {
                "type": "wait",
                "event": "approval",
                "timeout": {"until.$": "$.state.deadline.at"},
                "timeoutNext": "Late",
                "resultPath": "$.state.vote",
                "next": "RecordVote",
            },
            "RecordVote": {
                "type": "task",
                "activity": "record_vote",
                "input": {"ballot.$": "$.state.ballot", "vote.$": "$.state.vote"},
                "resultPath": "$.state.ballot",
                "next": "Tally",
            },
            "Tally": {
                "type": "choice",
                "default": "AwaitVote",
                "choices": [
                    {
                        "when": {"path": "$.state.ballot.decision", "equals": "rejected"},
                        "next": "Undo",
                    },
                    {
                        "when": {"path": "$.state.ballot.decision", "equals": "approved"},
                        "next": "Final",
                    },
                ],
            },
            "Late": {
                "type": "choice",
                "default": "TimedOutAudit",
                "choices": [
                    {
                        "when": {"path": "$.state.deadline.escalated", "equals": False},
                        "next": "Escalate",
                    }
                ],
            },
            "Escalate": {
                "type": "task",
                "activity": "escalate",
                "input": {"ballot.$": "$.state.ballot"},
                "next": "Extend",
            },
            "Extend": {
                "type": "pass",
                "resultPath": "$.state.deadline",
                "next": "AwaitVote",
                "result": {"at.$": "addDuration($.state.deadline.at, 'PT24H')", "escalated": True},
            },
            "TimedOutAudit": audit("timed-out", "UndoTimedOut"),
            "UndoTimedOut": {"type": "compensate", "next": "TimedOut"},
            "TimedOut": {"type": "succeed", "output": {"outcome": "TimedOut"}},
            "Undo": {"type": "compensate", "next": "Rejected"},
            "Rejected": {"type": "succeed", "output": {"outcome": "Rejected"}},
            "Final": {
                "type": "task",
                "activity": "generate_final",
                "input": {"draft.$": "$.state.draft"},
                "resultPath": "$.state.final",
                "next": "File",
            },
            "File": {
                "type": "task",
                "activity": "file_document",
                "input": {"final.$": "$.state.final"},
                "resultPath": "$.state.filed",
                "next": "Index",
            },
            "Index": {
                "type": "task",
                "activity": "update_master_index",
                "input": {"filed.$": "$.state.filed"},
                "next": "Approved",
            },
            "Approved": {
                "type": "succeed",
                "output": {"outcome": "Approved", "filed.$": "$.state.filed"},
            },
        },
        input={
            "type": "object",
            "required": ["documentId"],
            "properties": {"documentId": {"type": "string"}},
        },
    )


def activities() -> dict[str, Any]:
    return {
        "record_event": lambda x: None,
        "generate_draft": lambda x: {"blob": f"drafts/{x['documentId']}.docx"},
        "delete_draft": lambda x: None,
        "assess_document": lambda x: {
            "tier": "high",
            "sla": "PT48H",
            "roles": ["Data Steward", "Security"],
        },
        "notify_approvers": lambda x: {"roles": x["roles"], "decided": {}, "decision": "pending"},
        "record_vote": record_vote,
        "escalate": lambda x: None,
        "generate_final": lambda x: {"blob": "final.docx"},
        "file_document": lambda x: {"url": "library/final.docx"},
        "update_master_index": lambda x: None,
    }


def test_the_definition_validates_against_the_activities() -> None:
    assert validate_document(approval(), activities=set(ACTIVITIES)) == []


def test_approved_after_every_role_votes(bench: Any) -> None:
    b = bench([approval()], activities())
    iid = b.start("approval", {"documentId": "D-1"})
    b.raise_event(iid, "approval", {"role": "Security", "decision": "approved"})
    b.advance(hours=47)
    b.raise_event(iid, "approval", {"role": "Data Steward", "decision": "approved"})
    assert b.status(iid).output == {"outcome": "Approved", "filed": {"url": "library/final.docx"}}
    assert b.calls("escalate") == []


def test_escalation_extends_by_24h_then_times_out_and_compensates(bench: Any) -> None:
    b = bench([approval()], activities())
    iid = b.start("approval", {"documentId": "D-2"})
    b.advance(hours=48)
    assert b.elapsed("escalate") == [48 * 3600]
    assert b.status(iid).custom_status["deadline"] == "2026-01-08T09:00:00Z"
    b.raise_event(iid, "approval", {"role": "Security", "decision": "approved"})
    b.advance(hours=24)
    assert b.status(iid).output == {"outcome": "TimedOut"}
    assert [d for _, d in b.calls("delete_draft")] == [{"blob": "drafts/D-2.docx"}]
    assert b.calls("generate_final") == []


def test_a_rejection_compensates(bench: Any) -> None:
    b = bench([approval()], activities())
    iid = b.start("approval", {"documentId": "D-3"})
    b.raise_event(iid, "approval", {"role": "Data Steward", "decision": "rejected"})
    assert b.status(iid).output == {"outcome": "Rejected"}
    assert len(b.calls("delete_draft")) == 1
