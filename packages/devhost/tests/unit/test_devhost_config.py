"""host.json and app settings as the Functions host reads them."""

import json

import pytest

from devhost.config import ConfigError, load_config


def write(folder, name, data):
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_environment_wins_over_local_settings_and_overrides_win_over_both(tmp_path):
    """Every environment variable is an app setting, as on the Functions host."""
    write(
        tmp_path,
        "local.settings.json",
        {
            "IsEncrypted": False,
            "Values": {"FROM_FILE": "file", "BOTH": "file", "OVERRIDDEN": "file", "EMPTY": None},
        },
    )
    config = load_config(
        tmp_path,
        overrides={"OVERRIDDEN": "override"},
        environ={"BOTH": "env", "OVERRIDDEN": "env", "ONLY_ENV": "env"},
    )
    assert config.settings == {
        "FROM_FILE": "file",
        "BOTH": "env",
        "OVERRIDDEN": "override",
        "EMPTY": "",
        "ONLY_ENV": "env",
    }


def test_missing_files_give_defaults(tmp_path):
    config = load_config(tmp_path, environ={})
    assert config.settings == {}
    assert config.host_json == {"version": "2.0"}
    assert config.hub_name == "TestHubName"
    assert config.default_version is None


def test_setting_references_in_host_json_are_resolved_env_first(tmp_path):
    write(tmp_path, "local.settings.json", {"Values": {"HUB": "fromfile", "PREFIX": "v1"}})
    write(
        tmp_path,
        "host.json",
        {
            "version": "2.0",
            "extensions": {
                "durableTask": {
                    "hubName": "%HUB%",
                    "defaultVersion": "%UNKNOWN%",
                    "tags": ["%PREFIX%-a", 3],
                },
                "http": {"routePrefix": "%PREFIX%/api"},
            },
        },
    )
    config = load_config(tmp_path, environ={"HUB": "fromenv"})
    assert config.hub_name == "fromenv"
    assert config.default_version == "%UNKNOWN%"  # unknown names stay as written
    assert config.durable["tags"] == ["v1-a", 3]
    assert config.extension("http") == {"routePrefix": "v1/api"}
    assert config.extension("serviceBus") == {}


@pytest.mark.parametrize("name", ["host.json", "local.settings.json"])
def test_invalid_json_names_the_file_and_line(tmp_path, name):
    write(tmp_path, name, '{\n  "version": "2.0",\n  oops\n}')
    with pytest.raises(ConfigError, match=rf"^{name}: invalid JSON at line 3"):
        load_config(tmp_path, environ={})


def test_top_level_must_be_an_object(tmp_path):
    write(tmp_path, "host.json", "[1, 2]")
    with pytest.raises(ConfigError, match=r"host\.json: expected a JSON object"):
        load_config(tmp_path, environ={})


def test_values_must_be_an_object(tmp_path):
    write(tmp_path, "local.settings.json", {"Values": ["A=1"]})
    with pytest.raises(ConfigError, match=r"local\.settings\.json: Values must be an object"):
        load_config(tmp_path, environ={})


def test_durable_int_names_the_field_when_not_an_integer(tmp_path):
    write(
        tmp_path,
        "host.json",
        {
            "extensions": {
                "durableTask": {
                    "maxConcurrentActivityFunctions": "ten",
                    "maxConcurrentOrchestratorFunctions": "4",
                }
            }
        },
    )
    config = load_config(tmp_path, environ={})
    assert config.durable_int("maxConcurrentOrchestratorFunctions", 1) == 4
    assert config.durable_int("notSet", 7) == 7
    with pytest.raises(
        ConfigError,
        match=r"durableTask\.maxConcurrentActivityFunctions: expected"
        r" an integer, got 'ten'",
    ):
        config.durable_int("maxConcurrentActivityFunctions", 10)
