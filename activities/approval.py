"""Approval: ask the approvers, count the votes, escalate at the deadline."""

from __future__ import annotations

from typing import Any

from services import document_record, handle_deadline, open_approval, parse_timestamp, record_vote
from services.approval.notifications import send_requests
from wire import to_json

from ._blueprint import Step, blueprint


@blueprint.activity_trigger(input_name="request")
def notify_approvers(request: Any) -> dict[str, Any]:
    """Open the approval, fix its deadline and mail every approver a personal link.

    Route ``auto`` mails nobody and is approved at once (event ``auto-approved``, with the
    quality score); otherwise event ``notified`` lists who was asked and the deadline.
    """
    step = Step.of(request)
    assessment = step.data.get("assessment")
    assessment = assessment if isinstance(assessment, dict) else {}
    opened = open_approval(
        step.db,
        step.rt.keys,
        document_id=step.document_id,
        instance_id=step.text("instanceId"),
        assessment=assessment,
        now=step.at,
        revision=step.revision,
    )
    deadline = to_json(opened.deadline)
    if opened.route == "auto":
        step.commit(
            {"status": "approved"},
            "auto-approved",
            {"tier": opened.tier, "qualityScore": assessment.get("score")},
        )
    else:
        mailed = send_requests(
            step.adapters.mail,
            opened.requests,
            document_record(step.db, step.document_id),
            step.rt.public_base_url,
            tier=opened.tier,
        )
        step.commit(
            {"status": "awaiting-approval"},
            "notified",
            {"approvers": mailed, "deadline": deadline, "route": opened.route},
        )
    # Tokens stay out of the orchestration history: they are credentials.
    return {
        "deadline": deadline,
        "route": opened.route,
        "tier": opened.tier,
        "ballot": to_json(opened.ballot),
        "escalations": 0,
    }


@blueprint.activity_trigger(input_name="cast")
def count_vote(cast: Any) -> dict[str, Any]:
    """Count the vote an ``approval`` event carried; returns the ballot.

    Casting recorded the ``voted`` event with the vote; this step records only
    ``vote-ignored`` (with the reason) when the approval no longer takes the vote.
    """
    step = Step.of(cast)
    vote = step.data.get("vote")
    vote = vote if isinstance(vote, dict) else {}
    ballot = record_vote(step.db, step.document_id, vote, step.at, revision=step.revision)
    if ballot.ignored_vote is not None:
        step.record(
            "vote-ignored",
            {
                "vote": vote,
                "decision": ballot.decision,
                "pendingRoles": to_json(ballot.pending_roles),
                "reason": to_json(ballot.ignored_vote),
            },
            key=str(vote.get("requestId", "")),
        )
    result: dict[str, Any] = to_json(ballot)
    return result


@blueprint.activity_trigger(input_name="deadline")
def escalate(deadline: Any) -> dict[str, Any]:
    """The deadline passed: escalate once (extend 24h, mail the escalation contacts), then
    time out. Events ``escalated`` or ``deadline-passed``."""
    step = Step.of(deadline)
    waited_for = step.text("deadline")
    result = handle_deadline(
        step.db,
        step.rt.keys,
        document_id=step.document_id,
        deadline=parse_timestamp(waited_for, "deadline"),
        now=step.at,
        revision=step.revision,
    )
    deadline_json = to_json(result.deadline)
    if result.outcome == "escalated":
        mailed = send_requests(
            step.adapters.mail,
            result.requests,
            document_record(step.db, step.document_id),
            step.rt.public_base_url,
        )
        step.commit(
            {"status": "escalated"},
            "escalated",
            {"contacts": mailed, "deadline": deadline_json},
            key=str(result.round),
        )
    elif result.outcome == "timedOut":
        step.record("deadline-passed", {"deadline": deadline_json}, key=waited_for)
    return {
        "outcome": result.outcome,
        "deadline": deadline_json,
        "ballot": to_json(result.ballot),
        "escalations": result.round,
    }
