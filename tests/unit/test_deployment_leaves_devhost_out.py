"""What `azd deploy` zips (the repo minus .funcignore) holds no devhost: the local host and its
replayer are a development package (packages/devhost), installed by the dev requirements."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deployed() -> list[str]:
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [
        f
        for f in files
        if not any(fnmatch.fnmatch(f, p) or fnmatch.fnmatch(f.split("/")[0], p) for p in patterns)
    ]


def test_the_deployment_has_no_devhost_and_no_replayer() -> None:
    files = deployed()
    assert "function_app.py" in files
    assert not [f for f in files if f.startswith("packages/") or "devhost" in f.split("/")[0]]
    assert not [f for f in files if f.endswith("replay.py")]
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert "devhost" not in requirements
