"""A property-based model of the approval journey: the real app on devhost, virtual clock.

Rules do what users, approvers, operators and the outside world do, in any order: submit
changes (every tier path, requesters and texts from a hostile strategy), decide through the
mailed links (also two approvers at once, forged links, late links), let time pass, resend a
change, break an adapter for a few calls, restart the host. After every step the invariants
of the issue hold for every document the run touched. ``run(journey, ...)`` drives it; the
bounded run is in ``make test``, the long one in ``make soak``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import runtime as app_runtime
from adapters import read_outbox
from services import SigningKeys, audit_trail
from services.approval.tokens import verify_token
from services.text import has_surrogate
from tests.support.faults import KINDS, Faults

MESSAGES = Path(__file__).resolve().parents[3] / "examples" / "messages"
PATHS = (
    "tier1-auto",
    "tier2-single-approver",
    "tier2-table",
    "tier3-personal",
    "tier3-financial",
    "critical",
    "dropped",
)
# Texts a real source, form or paste produces, and what an attacker tries.
ODD = st.sampled_from(
    [
        "\r\n",
        "\f",
        "\x00",
        "\x0b",
        "<script>alert(1)</script>",
        "\ud800",
        "\u2028",
        "'; DROP TABLE votes; --",
        "é€😀",
        " ",
        "\t",
        "%0A",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=30), ODD), max_size=5).map("".join)
LONG = st.integers(1000, 5000).map(lambda n: "x" * n)
NAMES = st.sampled_from(
    [
        "rita.requester@example.com",
        "rita",
        "CORP\\rita",
        "ops@example.org",
        "rita\r\nBcc: all@example.com",
        "<b>rita</b>",
        "x" * 300,
    ]
)
# Through ingress anything goes (it must refuse what no schema allows); straight to the
# workflow, as a script would, only what can be stored as text.
REQUESTERS = st.one_of(NAMES, TEXT.map(lambda t: "rita" + t), LONG)
ENDED = ("approved", "rejected", "timed-out", "failed")


@dataclass
class Tracked:
    """What the model knows of one document."""

    document_id: str
    message: dict[str, Any]
    filed: list[tuple[int, str, int]] = field(default_factory=list)  # revision, version, index


class ApprovalJourney(RuleBasedStateMachine):
    """The state machine; ``journey`` and ``faults`` are set by ``run``."""

    journey: ClassVar[Any]
    faults: ClassVar[Faults]
    seen: ClassVar[Counter[str]] = Counter()  # what the run exercised, for its guard
    documents = Bundle("documents")

    def __init__(self) -> None:
        super().__init__()
        self.tracked: dict[str, Tracked] = {}
        self.server_errors: list[str] = []
        self.steps_since_restart = 0
        self.faults.heal()

    # ------------------------------------------------------------------------------ HTTP
    def http(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.journey.host.http(method, path, **kwargs)
        # A dependency that is down answers 503; anything else 5xx is a defect.
        if answer.status >= 500 and not (answer.status == 503 and any(self.faults.raised.values())):
            self.server_errors.append(f"{method} {path} -> {answer.status} {answer.text[:300]}")
        return answer

    def send(self, message: dict[str, Any]) -> str:
        message_id = f"msg-{uuid.uuid4()}"
        answer = self.http(
            "POST",
            "/admin/devhost/queues/schema-changes/messages",
            data=json.dumps(message),
            params={"messageId": message_id},
            headers={"Content-Type": "application/json"},
        )
        assert answer.status == 201, answer.text
        self.journey.host.wait_idle()
        return message_id

    # ----------------------------------------------------------------------------- rules
    @rule(
        target=documents,
        path=st.sampled_from(PATHS),
        requester=REQUESTERS,
        via_ingress=st.booleans(),
    )
    def submit(self, path: str, requester: str, via_ingress: bool) -> Any:
        message = json.loads((MESSAGES / f"{path}.json").read_text())
        message.update(documentId=str(uuid.uuid4()), requestedBy=requester)
        document_id = message["documentId"]
        if via_ingress:
            message_id = self.send(message)
            quarantined = self.http("GET", f"/api/quarantine/{message_id}")
            if quarantined.status == 200:
                # Ingress refused it (a requester no schema allows): it started nothing.
                assert quarantined.json()["reason"] in ("schema-invalid", "not-json"), (
                    quarantined.text
                )
                assert self.journey.host.status(document_id) is None
                return document_id  # in the bundle all the same: what is drawn stays the same
        elif has_surrogate(requester) or not 3 <= len(requester) <= 254:
            return document_id  # not text, or not the workflow's input schema: never started
        else:  # straight to the workflow, as a script would: the workflow must hold as well
            self.journey.host.start_orchestration(
                "workflow",
                {"workflow": "document-approval", "input": message},
                instance_id=document_id,
            )
            self.journey.host.wait_idle()
        self.tracked[document_id] = Tracked(document_id, message)
        return document_id

    @rule(
        document_id=documents,
        decision=st.sampled_from(["approve", "reject"]),
        comment=st.one_of(TEXT, LONG),
        at_once=st.booleans(),
        pick=st.integers(0, 9),
    )
    def decide(
        self, document_id: str, decision: str, comment: str, at_once: bool, pick: int
    ) -> None:
        links = self.links(document_id)
        if not links:
            return
        chosen = [links[pick % len(links)]]
        if at_once and len(links) > 1:
            chosen.append(links[(pick + 1) % len(links)])
        answers: list[Any] = []
        barrier = threading.Barrier(len(chosen))

        def post(link: str) -> None:
            barrier.wait()
            answers.append(self.http("POST", link, json={"decision": decision, "comment": comment}))

        threads = [threading.Thread(target=post, args=(link,)) for link in chosen]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.journey.host.wait_idle()
        if len(chosen) > 1:
            self.seen["decided at once"] += 1
        for answer in answers:
            self.seen[f"decision {answer.status}"] += 1
            assert answer.status in (200, 400, 409, 410, 503), answer.text
            if answer.status == 400:
                assert len(comment) > 4000 or "surrogate" in answer.text, answer.text
        # The same decision again is a replay, never a second vote.
        again = self.http("POST", chosen[0], json={"decision": decision, "comment": comment})
        assert again.status in (200, 400, 409, 410, 503), again.text
        if again.status == 200:
            assert again.json()["replayed"] is True

    @rule(document_id=documents, comment=TEXT)
    def everyone_approves(self, document_id: str, comment: str) -> None:
        """Every approver mailed for the document approves (the journey's happy end)."""
        for link in self.links(document_id):
            answer = self.http("POST", link, json={"decision": "approve", "comment": comment})
            self.seen[f"decision {answer.status}"] += 1
            assert answer.status in (200, 400, 409, 410, 503), answer.text
        self.journey.host.wait_idle()

    @rule(document_id=documents, position=st.integers(0, 200))
    def forge(self, document_id: str, position: int) -> None:
        links = self.links(document_id)
        if not links:
            return
        token = links[0].rsplit("/", 1)[1]
        i = position % len(token)
        forged = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        answer = self.http("POST", f"/api/approvals/{forged}", json={"decision": "approve"})
        assert answer.status in (400, 404), answer.text

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours: int) -> None:
        self.journey.host.advance(duration=f"PT{hours}H")

    @rule(document_id=documents)
    def resend(self, document_id: str) -> None:
        if document_id not in self.tracked:
            return
        message = self.tracked[document_id].message
        self.send(message)
        self.seen["resend"] += 1

    @rule(kind=st.sampled_from(KINDS), calls=st.integers(1, 3))
    def outage(self, kind: str, calls: int) -> None:
        self.faults.arm(kind, calls)
        self.seen[f"outage {kind}"] += 1

    @rule()
    def recover(self) -> None:
        self.faults.heal()

    @precondition(lambda self: self.steps_since_restart >= 6)  # a restart costs seconds
    @rule()
    def restart(self) -> None:
        self.steps_since_restart = 0
        self.journey.restart()
        self.faults.attach(app_runtime.runtime())
        self.seen["restart"] += 1

    @rule(document_id=consumes(documents))
    def forget(self, document_id: str) -> None:
        """Keeps the bundle small; the document is still checked."""

    # ------------------------------------------------------------------------ invariants
    @invariant()
    def no_server_errors(self) -> None:
        self.steps_since_restart += 1
        assert not self.server_errors, self.server_errors

    @invariant()
    def every_vote_has_one_voted_event_and_every_chain_verifies(self) -> None:
        for document_id in self.tracked:
            trail = audit_trail(self.journey.db, document_id)
            assert trail.verification.ok, (document_id, trail.verification)
            voted = [e.data["vote"]["requestId"] for e in trail.events if e.type == "voted"]
            assert len(voted) == len(set(voted)), (document_id, voted)
            assert set(voted) == self.votes(document_id), document_id

    @invariant()
    def each_document_and_its_instance_agree(self) -> None:
        for document_id, tracked in self.tracked.items():
            status = self.journey.host.status(document_id)
            assert status is not None, document_id
            runtime = status["runtimeStatus"]
            revision = self.revision(document_id)
            if runtime in ("Pending", "Running"):
                if revision is not None and revision["ended_at"] is not None:
                    # Ended and committed; only telling the requester is left to do.
                    state = (status.get("customStatus") or {}).get("state")
                    assert state in ("TellRequester", "NoticeFailed", "Outcome"), (
                        document_id,
                        state,
                        revision,
                    )
                continue
            assert revision is not None and revision["ended_at"] is not None, (
                document_id,
                runtime,
                status.get("output"),
            )
            trail = [e.type for e in audit_trail(self.journey.db, document_id).events]
            assert trail[-1] in ("requester-notified", "requester-not-notified"), trail
            if runtime == "Failed":
                self.seen["ended Failed"] += 1
                assert revision["status"] == "failed", (document_id, revision)
                assert "failed" in trail
            else:
                assert runtime == "Completed", (document_id, runtime)
                out = status["output"]
                self.seen[f"ended {out['status']}"] += 1
                expected = {
                    "Approved": "approved",
                    "Rejected": "rejected",
                    "TimedOut": "timed-out",
                }[out["status"]]
                assert revision["status"] == expected, (document_id, revision, out)
                if expected == "approved":
                    entry = (out["revision"], self.filed_version(out), out["indexVersion"])
                    if entry not in tracked.filed:
                        tracked.filed.append(entry)

    @invariant()
    def an_approved_and_filed_revision_stays_filed(self) -> None:
        for tracked in self.tracked.values():
            for revision, version, index_version in tracked.filed:
                physical = tracked.message["physicalName"]
                database = tracked.message["databaseName"]
                manifest = (
                    self.journey.library
                    / ".versions"
                    / "Documentation"
                    / database
                    / f"{physical}.docx"
                    / "versions.json"
                )
                live = [v["id"] for v in json.loads(manifest.read_text()) if not v.get("removed")]
                assert version in live, (tracked.document_id, revision, version, live)
                with self.journey.db.connect() as conn:
                    row = conn.execute(
                        sa.text(
                            "SELECT withdrawn_at, revision FROM master_index_versions WHERE "
                            "database_name = :d AND physical_name = :p AND version = :v"
                        ),
                        {"d": database, "p": physical, "v": index_version},
                    ).first()
                assert row is not None and row.withdrawn_at is None, (
                    tracked.document_id,
                    index_version,
                )

    # --------------------------------------------------------------------------- reading
    def links(self, document_id: str) -> list[str]:
        """The approval links mailed for the document (every revision), newest last."""
        keys = SigningKeys.parse(self.journey.host.host.settings["APPROVAL_SIGNING_KEYS"])
        found = []
        for mail in read_outbox(self.journey.outbox):
            match = re.search(r"/api/approvals/(\S+)", mail.get_body(("plain",)).get_content())
            if match and verify_token(keys, match.group(1)).document_id == document_id:
                found.append(match.group(0))
        return found

    def votes(self, document_id: str) -> set[str]:
        with self.journey.db.connect() as conn:
            return {
                r[0]
                for r in conn.execute(
                    sa.text("SELECT request_id FROM votes WHERE document_id = :d"),
                    {"d": document_id},
                )
            }

    def revision(self, document_id: str) -> Any:
        with self.journey.db.connect() as conn:
            return (
                conn.execute(
                    sa.text(
                        "SELECT r.status, r.ended_at FROM document_revisions r JOIN documents d"
                        " ON d.document_id = r.document_id AND d.revision = r.revision"
                        " WHERE d.document_id = :d"
                    ),
                    {"d": document_id},
                )
                .mappings()
                .first()
            )

    def filed_version(self, output: dict[str, Any]) -> str:
        with self.journey.db.connect() as conn:
            entry = conn.execute(
                sa.text(
                    "SELECT entry FROM master_index_versions WHERE document_id = :d AND "
                    "revision = :r"
                ),
                {"d": output["documentId"], "r": output["revision"]},
            ).scalar_one()
        return str(json.loads(entry)["libraryVersion"])


def run(
    journey: Any, runtime: Any, *, examples: int, steps: int, derandomize: bool = False
) -> Counter[str]:
    """Run the model against a running journey (``runtime``: the app's ``runtime()``);
    returns what it exercised (rules that landed, how documents ended)."""
    ApprovalJourney.journey = journey
    ApprovalJourney.faults = Faults(runtime)
    ApprovalJourney.seen = Counter()
    run_state_machine_as_test(
        ApprovalJourney,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=derandomize,
        ),
    )
    return ApprovalJourney.seen
