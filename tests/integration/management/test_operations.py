"""The stuck-instance monitor on the virtual clock, and the metrics moving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from mgmt_support import MgmtApp, new_id, running_mgmt_app

from orchestration.timeutil import format_timestamp


@pytest.fixture(scope="module")
def mgmt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MgmtApp]:
    """In one process whatever DEVHOST_TEST_WORKERS says: the endpoint shows the metrics of
    the process that serves it, and these tests count what orchestrators and activities
    record (with worker processes they count there; docs/api.md, Metrics)."""
    with running_mgmt_app(tmp_path_factory.mktemp("mgmt_ops"), worker_processes=0) as running:
        yield running


def test_the_monitor_reports_late_deadlines_and_old_waits_but_not_future_deadlines(
    mgmt: MgmtApp,
) -> None:
    future = mgmt.start("waiter", {})  # its deadline is 10 days away
    no_deadline = mgmt.start("forever", {})
    late = mgmt.host.start_orchestration(
        "stalled",
        {"deadline": format_timestamp(mgmt.host.now() + timedelta(hours=1))},
        instance_id=new_id("stalled"),
    )
    mgmt.host.wait_idle()

    mgmt.host.advance(duration="PT51H")  # the hourly monitor ticks on the way

    report = mgmt.call("GET", "operations/stuck").json()
    found = {item["instanceId"]: item for item in report["instances"]}
    assert future not in found
    assert late in found and "deadline" in found[late]["reason"]
    assert no_deadline in found and "no deadline" in found[no_deadline]["reason"]
    assert found[no_deadline]["workflow"] == "forever"
    assert report["count"] == len(report["instances"]) >= 2
    assert report["after"] == "PT50H0M0S" and report["grace"] == "PT1H0M0S"
    assert mgmt.metric("instances_stuck") == report["count"]
    for instance_id in (future, no_deadline, late):
        mgmt.call("POST", f"instances/{instance_id}/terminate", json={"reason": "done"})
    mgmt.host.wait_idle()


def test_counters_move_when_workflows_end_and_a_message_is_quarantined(mgmt: MgmtApp) -> None:
    def snapshot() -> dict[str, float]:
        return {
            "started": mgmt.metric("workflows_started_total", workflow="quick"),
            "completed": mgmt.metric(
                "workflows_ended_total", workflow="quick", outcome="Completed"
            ),
            "failed": mgmt.metric("workflows_ended_total", workflow="failing", outcome="Failed"),
            "durations": mgmt.metric("workflows_duration_seconds_count", workflow="quick"),
            "quarantined": mgmt.metric("messages_quarantined_total", reason="not-json"),
            "activity": mgmt.metric("activities_failed_total", activity="remove_draft"),
        }

    before = snapshot()
    mgmt.start("quick", {"x": 1})
    mgmt.start("failing", {})
    mgmt.start("bad-activity-input", {"documentId": 1, "at": "now"})
    sent = mgmt.host.http(
        "POST",
        "/admin/devhost/queues/schema-changes/messages",
        data=b"{not json",
        params={"messageId": new_id("bad")},
        headers={"Content-Type": "application/json"},
    )
    assert sent.status == 201, sent.text
    mgmt.host.wait_idle()
    after = snapshot()

    assert {k: after[k] - before[k] for k in before} == {
        "started": 1,
        "completed": 1,
        "failed": 1,
        "durations": 1,
        "quarantined": 1,
        "activity": 1,
    }
    text = mgmt.call("GET", "operations/metrics")
    assert text.status == 200
    assert "# TYPE workflows_ended_total counter" in text.text
    assert "approvals_pending" in text.text
    quarantined = mgmt.call("GET", "quarantine", params={"reason": "not-json"}).json()
    assert quarantined["total"] >= 1
    assert json.loads(mgmt.call("GET", "operations/stuck").text)["count"] >= 0
