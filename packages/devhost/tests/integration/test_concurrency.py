"""How devhost runs activities: the host.json limit, threads for sync, the loop for async,
and a hanging activity that blocks nothing else."""

import sys

import pytest

from devhost.testing import DevHost


@pytest.fixture(scope="module")
def host(apps_dir, tmp_path_factory):
    with DevHost(
        apps_dir / "concurrency_app", clock="real", data_dir=tmp_path_factory.mktemp("concurrency")
    ) as running:
        yield running


def test_max_concurrent_activity_functions_is_honoured(host):
    app = sys.modules["function_app"]
    app.RUNNING.update(now=0, most=0)
    iid = host.start_orchestration("fan")
    assert host.wait_for(iid)["output"] == list(range(12))
    assert app.RUNNING["most"] == 3  # host.json says 3: reached, never passed


def test_sync_activities_run_on_the_pool_and_async_ones_on_the_loop(host):
    iid = host.start_orchestration("threads")
    sync_thread, async_thread = host.wait_for(iid)["output"]
    assert sync_thread.startswith("fn")
    assert async_thread == "devhost"  # the host's event-loop thread


def test_a_hanging_activity_does_not_block_others(host):
    app = sys.modules["function_app"]
    app.RELEASE.clear()
    stuck = host.start_orchestration("one", "hang")
    try:
        quick = host.start_orchestration("one", "where_sync")
        assert host.wait_for(quick, timeout=30)["runtimeStatus"] == "Completed"
        assert host.status(stuck)["runtimeStatus"] == "Running"
    finally:
        app.RELEASE.set()
    assert host.wait_for(stuck, timeout=30)["output"] == "released"


def test_writes_queued_together_share_a_commit_and_fail_alone(host):
    """Group commit: one write that raises is undone alone and only its caller sees it."""
    import asyncio

    engine = host.host.engine

    def note(db, key):
        db.execute(
            "INSERT INTO entities (id, name, key, state, updated) VALUES (?,?,?,NULL,'')",
            (f"@group@{key}", "group", key),
        )
        if key == "bad":
            raise ValueError("this write fails")
        return key

    async def together():
        return await asyncio.gather(
            *(engine.write(note, key) for key in ("a", "bad", "b")), return_exceptions=True
        )

    first, failed, last = host._run(together())
    assert (first, last) == ("a", "b")
    assert isinstance(failed, ValueError) and str(failed) == "this write fails"
    kept = [
        r[0]
        for r in engine.store.conn().execute(
            "SELECT key FROM entities WHERE name='group' ORDER BY key"
        )
    ]
    assert kept == ["a", "b"]


def test_activity_results_survive_a_failed_group_commit(host, monkeypatch):
    """A commit that fails once (a lock timeout, a full disk) loses no activity result."""
    engine = host.host.engine
    real = engine._write_group
    failures = []

    def fail_once(batch):
        if not failures and any(future is None for _, _, future in batch):
            failures.append(len(batch))
            raise OSError("disk full (injected)")
        return real(batch)

    monkeypatch.setattr(engine, "_write_group", fail_once)
    iid = host.start_orchestration("one", "where_sync")
    assert host.wait_for(iid, timeout=30)["runtimeStatus"] == "Completed"
    assert failures, "the injected failure never happened"
