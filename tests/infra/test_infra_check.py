"""`python -m tools.infra_check`: parse errors, failed checks and unexplained skips fail it.

The checker runs the real checkov (from .venv/infra, which `make setup` installs) over small
Bicep folders written here: one with a parse error, a failing check, a justified skip and a
skip without a reason; one that is clean. The skips documented in docs/deploy.md are
checked against the templates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import infra_check

ROOT = Path(__file__).resolve().parents[2]

BROKEN = "resource broken 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n"

STORAGE = """\
param location string = resourceGroup().location

resource weak 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: the test says why
  // checkov:skip=CKV_AZURE_59
  name: 'stweak${uniqueString(resourceGroup().id)}'
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_GRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_0'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
  }
}
"""

# CKV_AZURE_23 and _25 are checkov graph checks, whose inline skips checkov ignores.
SQL = """\
resource server 'Microsoft.Sql/servers@2023-08-01' existing = {
  name: 'sql-test'
}

resource database 'Microsoft.Sql/servers/databases@2023-08-01' = {
  // checkov:skip=CKV_AZURE_25,CKV_AZURE_23: graph checks, skipped by infra_check itself
  parent: server
  name: 'db'
  location: 'westeurope'
}
"""


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dirty")
    (folder / "broken.bicep").write_text(BROKEN, encoding="utf-8")
    (folder / "modules").mkdir()
    (folder / "modules" / "storage.bicep").write_text(STORAGE, encoding="utf-8")
    (folder / "modules" / "sql.bicep").write_text(SQL, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def dirty_report(dirty: Path) -> infra_check.InfraReport:
    return infra_check.check(dirty)


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    good = tmp_path / "good.bicep"
    good.write_text("param name string\n", encoding="utf-8")
    bad = tmp_path / "bad.bicep"
    bad.write_text(BROKEN, encoding="utf-8")
    errors = infra_check.parse_bicep_files([good, bad])
    assert len(errors) == 1
    assert errors[0].startswith(f"{bad}: ")


def test_parse_errors_come_from_pycep_and_from_checkovs_report(
    dirty: Path, dirty_report: infra_check.InfraReport
) -> None:
    broken = str(dirty / "broken.bicep")
    assert any(
        e.startswith(f"{broken}: ") and "checkov" not in e for e in dirty_report.parse_errors
    )
    assert any(e == f"{broken}: checkov could not parse it" for e in dirty_report.parse_errors)
    assert [f.name for f in dirty_report.files] == ["broken.bicep", "sql.bicep", "storage.bicep"]


def test_failed_checks_skips_and_unjustified_skips_are_told_apart(
    dirty_report: infra_check.InfraReport,
) -> None:
    by_id = {(r.check_id, r.resource): r for r in dirty_report.results}
    tls = by_id[("CKV_AZURE_44", "Microsoft.Storage/storageAccounts.weak")]
    assert tls.status == "FAILED"
    assert tls.location == "modules/storage.bicep:3"
    justified = by_id[("CKV_AZURE_35", "Microsoft.Storage/storageAccounts.weak")]
    assert (justified.status, justified.reason) == ("SKIPPED", "the test says why")
    assert [(s.check_id, s.reason) for s in dirty_report.unjustified_skips] == [
        ("CKV_AZURE_59", "")
    ]
    graph = by_id[("CKV_AZURE_23", "Microsoft.Sql/servers/databases.database")]
    assert (graph.status, graph.reason) == (
        "SKIPPED",
        "graph checks, skipped by infra_check itself",
    )
    assert not dirty_report.ok


def test_the_report_shows_the_table_then_each_problem_then_the_verdict(
    dirty: Path, dirty_report: infra_check.InfraReport
) -> None:
    out = infra_check.render(dirty_report, 1.5)
    assert re.search(r"^FAILED +CKV_AZURE_44 +Microsoft.Storage/storageAccounts.weak", out, re.M)
    assert re.search(r"^SKIPPED \(no reason\) +CKV_AZURE_59", out, re.M)
    assert f"PARSE ERROR  {dirty / 'broken.bicep'}" in out
    assert "UNJUSTIFIED  CKV_AZURE_59" in out
    assert out.endswith("in 1.5s: FAILED")


def test_a_clean_folder_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "identity.bicep").write_text(
        "param location string\n\n"
        "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n"
        "  name: 'id-test'\n  location: location\n}\n",
        encoding="utf-8",
    )
    assert infra_check.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(": OK")


def test_a_missing_checkov_is_reported_not_crashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.bicep").write_text("param name string\n", encoding="utf-8")
    assert infra_check.main([str(tmp_path), "--checkov", str(tmp_path / "nope")]) == 2
    assert "checkov not found" in capsys.readouterr().err


def test_every_skip_in_the_templates_is_listed_in_the_deploy_doc() -> None:
    in_templates = set()
    for path in sorted((ROOT / "infra").rglob("*.bicep")):
        symbol = None
        for line in path.read_text(encoding="utf-8").splitlines():
            declared = re.match(r"resource (\w+) '", line)
            symbol = declared.group(1) if declared else symbol
            skip = re.search(r"checkov:skip=([\w-]+):\s*\S", line)
            if skip:
                in_templates.add((skip.group(1), str(path.relative_to(ROOT / "infra")), symbol))
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    in_doc = set(re.findall(r"^\| `(CKV2?_\w+)` \| `([\w/.]+)` `(\w+)` \|", doc, re.M))
    assert in_templates, "the templates have skips to compare"
    assert in_doc == in_templates


def test_a_folder_without_bicep_files_is_an_error_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("no templates here\n", encoding="utf-8")
    assert infra_check.main([str(tmp_path)]) == 2
    assert "no .bicep files" in capsys.readouterr().err
