"""CPU per rendered document: the draft and the final .docx of the approval journey.

    python -m bench.bench_rendering [--rounds 200] [--profile]

Renders the benchmark's own document (``sales.orders`` of the sample warehouse, reflected as
the drafting activity does) and a wide table (40 columns, every section filled), as draft and
as final, in this process. Prints the median CPU time per render; ``--profile`` adds the
cProfile of one sample's renders, by cumulative time, so the cost can be attributed.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import platform
import pstats
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.sources import SourceDatabases
from services.drafting import (
    ApprovalRecord,
    ColumnDescription,
    DocumentContent,
    DraftRequest,
    FinalRecord,
    ForeignKeyDescription,
    IndexDescription,
    ObjectDescription,
    classify,
    reflect_object,
    render_document,
    score_documentation,
)

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
APPROVAL = ApprovalRecord.from_json(
    {
        "status": "Approved",
        "decidedAt": "2026-11-23T10:00:00Z",
        "tier": 2,
        "votes": [
            {
                "role": "Data Steward",
                "approver": "dana@example.com",
                "decision": "approve",
                "decidedAt": "2026-11-23T09:00:00Z",
                "comment": "fine",
            },
            {
                "role": "Data Owner",
                "approver": "owen@example.com",
                "decision": "approve",
                "decidedAt": "2026-11-23T09:30:00Z",
            },
        ],
    }
)
FINAL = FinalRecord(APPROVAL, content_hash="c" * 64, draft_sha256="d" * 64)


def _content(description: ObjectDescription) -> DocumentContent:
    request = DraftRequest.from_json(
        {
            "documentId": "2a9c3f0e-5b1d-4c7e-9a21-000000000002",
            "physicalName": description.physical_name,
            "databaseName": description.database,
            "changeType": "Altered",
            "requestedBy": "rita.requester@example.com",
        }
    )
    return DocumentContent(
        request, description, classify(description), score_documentation(description)
    )


def journey_sample() -> DocumentContent:
    """What bench_approval's documents hold: sales.orders of examples/warehouse.sqlite."""
    sources = SourceDatabases.from_setting(
        f'{{"warehouse": "sqlite:///{ROOT / "examples/warehouse.sqlite"}"}}'
    )
    return _content(reflect_object(sources.engine("warehouse"), "warehouse", "sales.orders"))


def wide_sample(columns: int = 40) -> DocumentContent:
    """A wide table with personal and financial columns, keys and indexes."""
    names = ["email", "phone", "iban", "salary", "birth_date", "address"]
    return _content(
        ObjectDescription(
            database="warehouse",
            physical_name="sales.wide",
            kind="table",
            exists=True,
            description="A wide table to measure rendering.",
            columns=tuple(
                ColumnDescription(
                    f"{names[i % len(names)]}_{i}",
                    "VARCHAR(200)",
                    i % 3 == 0,
                    default="'x'" if i % 4 == 0 else None,
                    description=None if i % 5 == 0 else f"Column number {i}.",
                )
                for i in range(columns)
            ),
            primary_key=("email_0",),
            foreign_keys=tuple(
                ForeignKeyDescription(f"fk_{i}", (f"phone_{i}",), "sales.phones", ("id",))
                for i in range(1, columns, 6)
            ),
            indexes=tuple(
                IndexDescription(f"ix_{i}", (f"iban_{i}",), i % 2 == 0)
                for i in range(2, columns, 6)
            ),
        )
    )


def _cpu_ms(render: Callable[[], bytes], rounds: int) -> float:
    render()  # warm: imports, the template
    times = []
    for _ in range(rounds):
        began = time.process_time()
        render()
        times.append((time.process_time() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the cProfile of the journey sample's draft and final",
    )
    args = parser.parse_args()
    samples = {"journey (sales.orders)": journey_sample(), "wide (40 columns)": wide_sample()}
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print("| sample | columns | draft (ms CPU) | final (ms CPU) | per document (ms CPU) |")
    print("|---|---:|---:|---:|---:|")
    for label, content in samples.items():
        draft = _cpu_ms(functools.partial(render_document, content, AT), args.rounds)
        final = _cpu_ms(functools.partial(render_document, content, AT, FINAL), args.rounds)
        print(
            f"| {label} | {len(content.description.columns)} | {draft:.2f} | {final:.2f} |"
            f" {draft + final:.2f} |"
        )
    if args.profile:
        content = samples["journey (sales.orders)"]
        render_document(content, AT)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            render_document(content, AT)
            render_document(content, AT, FINAL)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    main()
