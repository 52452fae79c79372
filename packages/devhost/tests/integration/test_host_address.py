"""The host tells the app its address (WEBSITE_HOSTNAME, as the Functions host does) before
the app is imported, and records where it answers in its data dir for the CLI."""

from __future__ import annotations

import json
import os

from devhost.address import RUNNING_FILE, recorded_url
from devhost.testing import DevHost


def test_the_app_sees_the_hosts_address_from_import_on(apps_dir, tmp_path):
    with DevHost(apps_dir / "http_app", data_dir=tmp_path) as host:
        expected = f"127.0.0.1:{host.host.port}"
        assert host.http("GET", "/api/hostname").json() == {"now": expected, "atImport": expected}


def test_a_hostname_in_the_settings_is_replaced_by_the_hosts_own(apps_dir, tmp_path):
    settings = {"WEBSITE_HOSTNAME": "127.0.0.1:7071"}
    with DevHost(apps_dir / "http_app", data_dir=tmp_path, settings=settings) as host:
        assert host.http("GET", "/api/hostname").json()["now"] == f"127.0.0.1:{host.host.port}"
    assert os.environ.get("WEBSITE_HOSTNAME") != f"127.0.0.1:{host.host.port}"  # restored


def test_a_running_host_is_recorded_in_its_data_dir_until_it_stops(apps_dir, tmp_path):
    with DevHost(apps_dir / "http_app", data_dir=tmp_path) as host:
        state = json.loads((tmp_path / RUNNING_FILE).read_text())
        assert state == {"url": host.base_url, "pid": os.getpid()}
        assert recorded_url(tmp_path) == host.base_url
    assert not (tmp_path / RUNNING_FILE).exists()
    assert recorded_url(tmp_path) is None


def test_a_record_left_by_a_process_that_is_gone_is_ignored(tmp_path):
    gone = 2**22 + 7  # above Linux's largest pid
    (tmp_path / RUNNING_FILE).write_text(json.dumps({"url": "http://127.0.0.1:1", "pid": gone}))
    assert recorded_url(tmp_path) is None
    (tmp_path / RUNNING_FILE).write_text("{half")
    assert recorded_url(tmp_path) is None
