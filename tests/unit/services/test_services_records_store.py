"""Generic records on a real SQLite file (the app's own engine): versions, idempotent writes,
reverts, concurrency, and the errors a workflow sees by name."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.sql import create_sql_engine
from services import init_schema
from services.errors import IdempotencyMismatch, ServiceError
from services.records import records_store as store
from wire import to_json

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = create_sql_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    init_schema(engine)
    return engine


def op(step: str, instance: str = "wf-1") -> str:
    return store.operation_id(instance, step)


def create(
    engine: sa.Engine, step: str = "Create", key: str = "k", body: Any = None, **extra: Any
) -> store.CreatedRecord:
    return store.create_record(
        engine,
        op_id=op(step),
        collection="things",
        key=key,
        body={"n": 1} if body is None else body,
        now=T0,
        **extra,
    )


def rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT collection, record_key, body, version FROM records ORDER BY 1, 2")
            )
        ]


def test_create_get_update_delete(engine: sa.Engine) -> None:
    created = create(engine)
    assert created.record.created_at == T0
    assert to_json(created) == {
        "collection": "things",
        "key": "k",
        "body": {"n": 1},
        "version": 1,
        "createdAt": "2026-01-05T09:00:00Z",
        "updatedAt": "2026-01-05T09:00:00Z",
        "created": True,
    }
    assert store.get_record(engine, "things", "k") == created.record
    assert to_json(store.get_record(engine, "things", "k")) == {
        k: v for k, v in to_json(created).items() if k != "created"
    }
    later = T0 + timedelta(minutes=1)
    updated = store.update_record(
        engine,
        op_id=op("Update"),
        collection="things",
        key="k",
        merge={"m": {"x": 1}},
        increment={"n": 2, "count": 1},
        expected_version=1,
        now=later,
    )
    assert (updated.record.body, updated.record.version, updated.previous_version) == (
        {"n": 3, "m": {"x": 1}, "count": 1},
        2,
        1,
    )
    assert to_json(updated)["updatedAt"] == "2026-01-05T09:01:00Z"
    assert to_json(updated)["previousVersion"] == 1
    replaced = store.update_record(
        engine, op_id=op("Replace"), collection="things", key="k", body={"only": True}, now=later
    )
    assert (replaced.record.body, replaced.record.version) == ({"only": True}, 3)
    deleted = store.delete_record(
        engine, op_id=op("Delete"), collection="things", key="k", expected_version=3, now=later
    )
    assert to_json(deleted) == {"collection": "things", "key": "k", "deleted": True, "version": 3}
    assert store.get_record(engine, "things", "k") is None
    again = store.delete_record(
        engine, op_id=op("Delete2"), collection="things", key="k", now=later
    )
    assert again.deleted is False
    assert to_json(again) == {"collection": "things", "key": "k", "deleted": False, "version": None}


def test_a_repeated_operation_writes_once_and_answers_the_same(engine: sa.Engine) -> None:
    create(engine)
    first = store.update_record(
        engine, op_id=op("Bump"), collection="things", key="k", increment={"n": 1}, now=T0
    )
    second = store.update_record(
        engine,
        op_id=op("Bump"),
        collection="things",
        key="k",
        increment={"n": 1},
        now=T0 + timedelta(hours=1),
    )
    assert first == second
    assert to_json(first) == to_json(second)
    assert rows(engine) == [("things", "k", '{"n":2}', 2)]
    with pytest.raises(IdempotencyMismatch):  # the same step writing another record
        store.update_record(
            engine, op_id=op("Bump"), collection="things", key="other", increment={"n": 1}, now=T0
        )


def test_one_operation_id_for_two_kinds_of_write_is_a_mismatch(engine: sa.Engine) -> None:
    create(engine, step="Same")
    with pytest.raises(IdempotencyMismatch, match="another kind of write"):
        store.delete_record(engine, op_id=op("Same"), collection="things", key="k", now=T0)
    assert rows(engine) == [("things", "k", '{"n":1}', 1)]


def test_if_exists_decides_what_a_second_create_does(engine: sa.Engine) -> None:
    create(engine, body={"a": 1, "b": 2})
    with pytest.raises(store.RecordAlreadyExists) as caught:
        create(engine, step="Again")
    assert caught.value.code == "Record.AlreadyExists"
    kept = create(engine, step="Keep", body={"z": 0}, if_exists="keep")
    assert (kept.record.body, kept.record.version, kept.created) == ({"a": 1, "b": 2}, 1, False)
    merged = create(engine, step="Merge", body={"b": None, "c": 3}, if_exists="merge")
    assert (merged.record.body, merged.record.version) == ({"a": 1, "c": 3}, 2)
    replaced = create(engine, step="Replace", body={"z": 9}, if_exists="replace")
    assert (replaced.record.body, replaced.record.version) == ({"z": 9}, 3)
    assert create(engine, step="Replace", body={"z": 9}, if_exists="replace") == replaced


def test_a_stale_expected_version_is_a_version_conflict(engine: sa.Engine) -> None:
    create(engine)
    store.update_record(
        engine,
        op_id=op("U1"),
        collection="things",
        key="k",
        body={"v": 2},
        expected_version=1,
        now=T0,
    )
    with pytest.raises(
        store.RecordVersionConflict, match="expected version 1, but the record is at version 2"
    ):
        store.update_record(
            engine,
            op_id=op("U2"),
            collection="things",
            key="k",
            body={"v": 3},
            expected_version=1,
            now=T0,
        )
    with pytest.raises(store.RecordVersionConflict):
        store.delete_record(
            engine, op_id=op("D"), collection="things", key="k", expected_version=1, now=T0
        )
    with pytest.raises(store.RecordNotFound):
        store.update_record(
            engine, op_id=op("U3"), collection="things", key="nosuch", body={}, now=T0
        )
    assert rows(engine) == [("things", "k", '{"v":2}', 2)]


def race(engine: sa.Engine, round_number: int, version: int) -> list[Any]:
    """Two writers update at ``version`` at the same moment; their outcomes."""
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def update(writer: int) -> None:
        barrier.wait()
        try:
            outcomes.append(
                store.update_record(
                    engine,
                    op_id=op(f"R{round_number}W{writer}"),
                    collection="things",
                    key="k",
                    body={"by": writer},
                    expected_version=version,
                    now=T0,
                )
            )
        except ServiceError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=update, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_concurrent_updates_at_one_version_one_wins(engine: sa.Engine) -> None:
    create(engine)
    for round_number in range(20):
        current = store.get_record(engine, "things", "k")
        assert current is not None
        outcomes = race(engine, round_number, current.version)
        won = [o for o in outcomes if isinstance(o, store.UpdatedRecord)]
        lost = [o for o in outcomes if not isinstance(o, store.UpdatedRecord)]
        assert len(won) == 1, outcomes
        assert [e.code for e in lost] == ["Record.VersionConflict"]
        assert won[0].record.version == current.version + 1
        after = store.get_record(engine, "things", "k")
        assert after is not None
        assert after.body == won[0].record.body


def test_the_host_sees_the_dotted_error_name() -> None:
    error = store.RecordVersionConflict("things/k: expected version 1")
    assert type(error).__name__ == "Record.VersionConflict"
    assert f"{type(error).__name__}: {error}" == (
        "Record.VersionConflict: things/k: expected version 1"
    )


# --- reverts: the compensation -----------------------------------------------------------------


def test_reverting_a_create_leaves_no_row(engine: sa.Engine) -> None:
    create(engine)
    reverted = store.revert_operation(engine, op_id=op("Create"), now=T0)
    assert (reverted.reverted, reverted.action, reverted.record) == (True, "created", None)
    assert rows(engine) == []
    assert store.revert_operation(engine, op_id=op("Create"), now=T0) == reverted  # again
    never = store.revert_operation(engine, op_id=op("NeverRan"), now=T0)
    assert never.reverted is False
    assert to_json(never) == {
        "operation": op("NeverRan"),
        "reverted": False,
        "action": None,
        "record": None,
    }


def test_reverting_an_update_restores_the_body_as_a_new_version(engine: sa.Engine) -> None:
    create(engine, body={"v": 1})
    store.update_record(engine, op_id=op("U"), collection="things", key="k", body={"v": 2}, now=T0)
    reverted = store.revert_operation(engine, op_id=op("U"), now=T0)
    assert reverted.record is not None
    assert (reverted.record.body, reverted.record.version) == ({"v": 1}, 3)
    assert store.revert_operation(engine, op_id=op("U"), now=T0) == reverted  # from the log
    assert rows(engine) == [("things", "k", '{"v":1}', 3)]


def test_reverting_a_delete_brings_the_record_back(engine: sa.Engine) -> None:
    create(engine, body={"v": 1})
    store.delete_record(engine, op_id=op("D"), collection="things", key="k", now=T0)
    reverted = store.revert_operation(engine, op_id=op("D"), now=T0)
    assert to_json(reverted)["record"]["createdAt"] == "2026-01-05T09:00:00Z"
    assert rows(engine) == [("things", "k", '{"v":1}', 2)]


def test_a_revert_never_overwrites_a_later_write(engine: sa.Engine) -> None:
    create(engine, body={"v": 1})
    store.update_record(
        engine, op_id=op("Later"), collection="things", key="k", body={"v": 2}, now=T0
    )
    with pytest.raises(store.RecordVersionConflict, match="cannot revert created things/k"):
        store.revert_operation(engine, op_id=op("Create"), now=T0)
    assert rows(engine) == [("things", "k", '{"v":2}', 2)]


def test_reverting_a_kept_create_changes_nothing(engine: sa.Engine) -> None:
    create(engine)
    create(engine, step="Keep", if_exists="keep")
    assert store.revert_operation(engine, op_id=op("Keep"), now=T0).reverted is False
    assert rows(engine) == [("things", "k", '{"n":1}', 1)]


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda e: create(e, key=""), "key"),
        (lambda e: create(e, key="a\nb"), "key"),
        (lambda e: create(e, key="x" * 201), "key"),
        (lambda e: create(e, body=[1]), "body"),
        (lambda e: create(e, body={"s": "\ud800"}), "body"),
        (lambda e: create(e, body={"f": float("nan")}), "body"),
        (lambda e: create(e, body={"s": "x" * store.BODY_LIMIT_BYTES}), "body"),
        (lambda e: create(e, if_exists="overwrite"), "ifExists"),
        (
            lambda e: store.create_record(
                e, op_id=op("C"), collection="Bad Name", key="k", body={}, now=T0
            ),
            "collection",
        ),
        (
            lambda e: store.update_record(e, op_id=op("U"), collection="things", key="k", now=T0),
            "body",
        ),
        (
            lambda e: store.update_record(
                e, op_id=op("U"), collection="things", key="k", body={}, merge={}, now=T0
            ),
            "body",
        ),
        (
            lambda e: store.update_record(
                e,
                op_id=op("U"),
                collection="things",
                key="k",
                body={},
                expected_version=True,
                now=T0,
            ),
            "expectedVersion",
        ),
        (
            lambda e: store.update_record(
                e, op_id=op("U"), collection="things", key="k", increment={"n": "1"}, now=T0
            ),
            "increment",
        ),
    ],
)
def test_bad_input_names_the_field(engine: sa.Engine, call: Any, field: str) -> None:
    with pytest.raises(store.RecordInvalid) as caught:
        call(engine)
    assert caught.value.field == field
    assert caught.value.code == "Record.Invalid"


def test_incrementing_a_field_that_is_not_a_number_is_refused(engine: sa.Engine) -> None:
    create(engine, body={"n": "one"})
    with pytest.raises(store.RecordInvalid, match="n: the record's value is not a number"):
        store.update_record(
            engine, op_id=op("I"), collection="things", key="k", increment={"n": 1}, now=T0
        )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200)
@given(json_values, json_values)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any) -> None:
    merged = store.merge_patch(target, patch)
    if not isinstance(patch, dict):
        assert merged == patch
        return
    for name, value in patch.items():
        if value is None:
            assert name not in merged
        elif not isinstance(value, dict):
            assert merged[name] == value
    if isinstance(target, dict):
        for name in set(target) - set(patch):
            assert merged[name] == target[name]
    assert store.merge_patch(merged, patch) == merged  # applying it twice changes nothing
