"""Approval: ask the approvers, count the votes, escalate at the deadline."""

from __future__ import annotations

from typing import Any

from services import document_record, handle_deadline, open_approval, parse_timestamp, record_vote
from services import update_document as update
from services.notifications import send_requests

from ._blueprint import blueprint, current, field, moment, payload, record


@blueprint.activity_trigger(input_name="request")
def notify_approvers(request: Any) -> dict[str, Any]:
    """Open the approval, fix its deadline and mail every approver a personal link.

    Route ``auto`` mails nobody and is approved at once (event ``auto-approved``, with the
    quality score); otherwise event ``notified`` lists who was asked and the deadline.
    """
    data = payload(request)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    assessment = data.get("assessment")
    opened = open_approval(rt.adapters.database, rt.keys, document_id=document_id,
                           instance_id=field(data, "instanceId"),
                           assessment=assessment if isinstance(assessment, dict) else {},
                           now=at)
    if opened["route"] == "auto":
        update(rt.adapters.database, document_id, {"status": "approved"}, at)
        record(rt, document_id, "auto-approved",
               {"tier": opened["tier"], "qualityScore": (assessment or {}).get("score")}, at)
        return _result(opened)
    document = {**document_record(rt.adapters.database, document_id), "tier": opened["tier"]}
    mailed = send_requests(rt.adapters.mail, opened["requests"], document, rt.public_base_url)
    update(rt.adapters.database, document_id, {"status": "awaiting-approval"}, at)
    record(rt, document_id, "notified", {"approvers": mailed, "deadline": opened["deadline"],
                                          "route": opened["route"]}, at)
    return _result(opened)


def _result(opened: dict[str, Any]) -> dict[str, Any]:
    # Tokens stay out of the orchestration history: they are credentials.
    return {"deadline": opened["deadline"], "route": opened["route"], "tier": opened["tier"],
            "ballot": opened["ballot"], "escalations": 0}


@blueprint.activity_trigger(input_name="cast")
def count_vote(cast: Any) -> dict[str, Any]:
    """Count the vote an ``approval`` event carried; returns the ballot (event ``voted``)."""
    data = payload(cast)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    vote = data.get("vote")
    ballot = record_vote(rt.adapters.database, document_id, vote if isinstance(vote, dict)
                         else {}, at)
    counted = ballot.get("ignoredVote") is None
    record(rt, document_id, "voted" if counted else "vote-ignored",
           {"vote": vote, "decision": ballot["decision"], "pendingRoles": ballot["pendingRoles"],
            **({"reason": ballot["ignoredVote"]} if not counted else {})},
           at, key=str((vote or {}).get("requestId", "")) if isinstance(vote, dict) else "")
    return ballot


@blueprint.activity_trigger(input_name="deadline")
def escalate(deadline: Any) -> dict[str, Any]:
    """The deadline passed: escalate once (extend 24h, mail the escalation contacts), then
    time out. Events ``escalated`` or ``timed-out``."""
    data = payload(deadline)
    rt, at = current(), moment(data)
    document_id = field(data, "documentId")
    waited_for = parse_timestamp(data.get("deadline"), "deadline")
    result = handle_deadline(rt.adapters.database, rt.keys, document_id=document_id,
                             deadline=waited_for, now=at)
    if result["outcome"] == "escalated":
        document = document_record(rt.adapters.database, document_id)
        mailed = send_requests(rt.adapters.mail, result["requests"], document,
                               rt.public_base_url)
        update(rt.adapters.database, document_id, {"status": "escalated"}, at)
        record(rt, document_id, "escalated", {"contacts": mailed,
                                               "deadline": result["deadline"]}, at,
               key=str(result["round"]))
    elif result["outcome"] == "timedOut":
        record(rt, document_id, "deadline-passed", {"deadline": result["deadline"]}, at,
               key=data["deadline"])
    return {"outcome": result["outcome"], "deadline": result["deadline"],
            "ballot": result["ballot"], "escalations": result["round"]}
