"""The Bicep templates, parsed with pycep-parser, say what the deployment promises.

Every setting the code reads is set on the Function App (or is local-only and documented as
such), connections are identity-based with no keys anywhere, the queues, SQL, Key Vault,
storage and site are locked down as the issue lists, and rbac.bicep grants exactly the roles
named. The assertions read concrete values out of the parsed tree, so a changed template fails.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from services.drafting import DOCUMENTS_CONTAINER
from settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
APP_PACKAGES = ("function_app.py", "ingress", "activities", "api", "entities", "orchestration")
BACKENDS = ("scheduler", "storage")

# Built-in role ids (Azure's, the same in every tenant) by display name.
BUILT_IN_ROLES = {
    "Durable Task Data Contributor": "0ad04412-c4d5-4796-b79c-f76d14c8d402",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Azure Service Bus Data Receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    "Azure Service Bus Data Sender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
APP_ROLES = {
    "Durable Task Data Contributor": "scheduler",
    "Storage Blob Data Owner": "storage",
    "Storage Queue Data Contributor": "storage",
    "Storage Table Data Contributor": "storage",
    "Azure Service Bus Data Receiver": "serviceBus",
    "Azure Service Bus Data Sender": "serviceBus",
    "Key Vault Secrets User": "vault",
    "Monitoring Metrics Publisher": "appInsights",
}


# ---- reading the parsed templates ----


@cache
def template(name: str) -> dict[str, Any]:
    """The pycep tree of ``infra/<name>``."""
    return BicepParser().parse(text=(INFRA / name).read_text(encoding="utf-8"))


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def unquote(key: str) -> str:
    """pycep keeps the quotes of quoted object keys (``'azd-env-name'``)."""
    return key[1:-1] if len(key) > 1 and key[0] == key[-1] == "'" else key


def resource(tree: dict[str, Any], name: str) -> dict[str, Any]:
    """A resource's body, unwrapped from an ``if``/``for`` wrapper, plus its ``type`` and
    ``condition`` (``None`` when unconditional)."""
    declared = tree["resources"][name]
    body = declared["config"]
    condition = None
    if "config" in body and ("condition" in body or "loop_type" in body):
        condition = body.get("condition")
        body = body["config"]
    return {
        **body,
        "type": declared["type"],
        "api_version": declared["api_version"],
        "condition": condition,
    }


def resources_of_type(tree: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource(tree, name)
        for name, declared in tree["resources"].items()
        if declared["type"] == type_ and not declared["existing"]
    }


def evaluate(expression: Any, tree: dict[str, Any], assume: dict[str, bool]) -> Any:
    """Resolve variables, ``union()`` and ``cond ? a : b`` (cond looked up in ``assume``) so
    an object expression becomes a plain dict; anything else is returned as parsed."""
    if isinstance(expression, str) and expression in tree.get("variables", {}):
        return evaluate(tree["variables"][expression]["value"], tree, assume)
    if not isinstance(expression, dict):
        return expression
    function = expression.get("function")
    if function and function["type"] == "union":
        merged: dict[str, Any] = {}
        for argument in function["parameters"].values():
            merged.update(evaluate(argument, tree, assume))
        return merged
    operator = expression.get("operator")
    if operator and operator["type"] == "conditional":
        operands = operator["operands"]
        condition = operands["condition"]
        if condition not in assume:
            raise AssertionError(f"no assumption for condition {condition!r}")
        branch = operands["true_value"] if assume[condition] else operands["false_value"]
        return evaluate(branch, tree, assume)
    if function or operator:
        return expression
    return {unquote(key): value for key, value in expression.items()}


def app_settings(backend: str) -> dict[str, Any]:
    """The Function App's app settings as deployed with ``durableBackend = backend``."""
    tree = template("app/function.bicep")
    (config,) = resources_of_type(tree, "Microsoft.Web/sites/config").values()
    assert config["name"] == "appsettings"
    return evaluate(config["properties"], tree, {"useScheduler": backend == "scheduler"})


def is_set(name: str, settings: dict[str, Any]) -> bool:
    """Set directly, or in its identity-based form (``NAME__accountName`` and friends)."""
    return name in settings or any(key.startswith(f"{name}__") for key in settings)


def documented_local_only() -> set[str]:
    """Setting names in the first column of the table under "## Local-only settings"."""
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    match = re.search(r"^## Local-only settings\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"{DEPLOY_DOC} has no '## Local-only settings' section"
    return set(re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", match.group(1), re.M))


def binding_connections() -> set[str]:
    """``connection="NAME"`` arguments of trigger and binding decorators in the app code."""
    names: set[str] = set()
    for entry in APP_PACKAGES:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py")) if path.is_dir() else []
        for file in files:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.keyword)
                    and node.arg == "connection"
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)
                ):
                    names.add(node.value.value)
    return names


def role_variables() -> dict[str, tuple[str, str]]:
    """rbac.bicep's role-id variables: name -> (display name in the comment above, id)."""
    lines = (INFRA / "rbac.bicep").read_text(encoding="utf-8").splitlines()
    found = {}
    for above, line in itertools.pairwise(lines):
        match = re.match(r"var (\w+RoleId) = '([0-9a-f-]{36})'$", line)
        if match:
            comment = re.match(r"// (.+)$", above)
            assert comment, f"role id variable {match.group(1)} has no display-name comment"
            found[match.group(1)] = (comment.group(1).strip(), match.group(2))
    return found


# ---- settings ----


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_setting_the_code_reads_is_set_in_azure_or_documented_local_only(
    backend: str,
) -> None:
    settings = app_settings(backend)
    documented = documented_local_only()
    missing = [
        s.name
        for s in SETTINGS
        if not s.platform
        and not is_set(s.name, settings)
        and not (s.local_only and s.name in documented)
    ]
    assert not missing, f"not set on the Function App ({backend}) nor local-only in docs: {missing}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_settings_the_platform_sets_are_not_app_settings(backend: str) -> None:
    settings = app_settings(backend)
    assert [s.name for s in SETTINGS if s.platform and is_set(s.name, settings)] == []


def test_the_local_only_table_lists_exactly_the_local_only_settings_azure_lacks() -> None:
    not_in_azure = {
        s.name for s in SETTINGS if s.local_only and not is_set(s.name, app_settings("scheduler"))
    }
    assert documented_local_only() == not_in_azure


@pytest.mark.parametrize("backend", BACKENDS)
def test_host_and_binding_connections_are_set(backend: str) -> None:
    settings = app_settings(backend)
    assert settings["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert settings["FUNCTIONS_EXTENSION_VERSION"] == "~4"
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    assert host["extensions"]["durableTask"]["hubName"] == "%TASKHUB_NAME%"
    assert settings["TASKHUB_NAME"] == "taskHubName"
    for connection in binding_connections() | {"AzureWebJobsStorage", "ServiceBusConnection"}:
        assert is_set(connection, settings), f"binding connection {connection} is not set"


def test_scheduler_backend_connects_to_the_scheduler_with_the_identity() -> None:
    settings = app_settings("scheduler")
    provider = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))["extensions"][
        "durableTask"
    ]["storageProvider"]
    assert provider["type"] == "azureManaged"
    connection = settings[provider["connectionStringName"]]
    assert connection == (
        "Endpoint=${schedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}"
    )
    assert not any(key.startswith("AzureFunctionsJobHost__") for key in settings)


def test_storage_backend_overrides_the_host_json_provider() -> None:
    settings = app_settings("storage")
    prefix = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__"
    assert settings[f"{prefix}type"] == "AzureStorage"
    assert settings[f"{prefix}connectionStringName"] == "AzureWebJobsStorage"
    assert "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" not in settings


def test_connections_are_identity_based_with_the_user_assigned_identity() -> None:
    settings = app_settings("scheduler")
    prefixes = {key.rsplit("__", 1)[0] for key in settings if key.endswith("__credential")}
    assert prefixes == {"AzureWebJobsStorage", "DOCUMENTS_STORAGE", "ServiceBusConnection"}
    for prefix in prefixes:
        assert settings[f"{prefix}__credential"] == "managedidentity"
        assert settings[f"{prefix}__clientId"] == "identityClientId"
    assert settings["AzureWebJobsStorage__accountName"] == "storageAccountName"
    assert settings["DOCUMENTS_STORAGE__blobServiceUri"] == "storageBlobEndpoint"
    assert (
        settings["ServiceBusConnection__fullyQualifiedNamespace"]
        == "serviceBusFullyQualifiedNamespace"
    )
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert "AzureWebJobsStorage" not in settings  # the key-based form must not come back
    assert "Authorization=AAD" in settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
    assert "ClientId=${identityClientId}" in settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]


def test_secrets_are_key_vault_references_and_the_database_url_has_no_password() -> None:
    settings = app_settings("scheduler")
    assert settings["SENDGRID_API_KEY"] == "@Microsoft.KeyVault(SecretUri=${sendGridSecretUri})"
    assert (
        settings["APPROVAL_SIGNING_KEYS"]
        == "@Microsoft.KeyVault(SecretUri=${signingKeysSecretUri})"
    )
    database_url = evaluate("databaseUrl", template("app/function.bicep"), {})
    assert database_url.startswith("mssql+pyodbc://@${sqlServerFqdn}:1433/")
    assert "pwd" not in database_url.lower()
    assert "password" not in database_url.lower()
    assert settings["DATABASE_URL"] == "databaseUrl"
    assert settings["MAIL_TRANSPORT"] == "sendgrid"
    assert settings["DOCUMENT_LIBRARY"] == "graph"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_no_keys_or_passwords_anywhere(path: Path) -> None:
    # The parsed tree, not the text: comments may say "no password", code may not.
    text = json.dumps(template(str(path.relative_to(INFRA))))
    for forbidden in (
        "AccountKey=",
        "SharedAccessKey",
        "listKeys(",
        "listConnectionStrings(",
        "administratorLoginPassword",
        "password",
        "accessPolicies",
    ):
        assert forbidden.lower() not in text.lower(), f"{path.name} mentions {forbidden}"


# ---- resources ----


def test_main_is_subscription_scoped_and_creates_the_resource_group() -> None:
    tree = template("main.bicep")
    assert tree["globals"]["scope"]["value"] == "subscription"
    (group,) = resources_of_type(tree, "Microsoft.Resources/resourceGroups").values()
    assert group["name"]["operator"]["operands"] == {
        "operand_1": "names",
        "operand_2": "resourceGroup",
    }
    assert tree["modules"], "main.bicep composes modules"
    assert {
        module["config"].get("scope") or module["config"]["config"]["scope"]
        for module in tree["modules"].values()
    } == {"rg"}


def test_every_name_is_abbreviation_plus_token_and_overridable() -> None:
    tree = template("main.bicep")
    abbreviations = json.loads((INFRA / "abbreviations.json").read_text(encoding="utf-8"))
    names = tree["variables"]["names"]["value"]
    assert len(names) >= 12
    for key, expression in names.items():
        operands = expression["operator"]["operands"]
        override = operands["condition"]["function"]["parameters"]["item_to_test"]
        assert operands["false_value"] == override, key
        assert tree["parameters"][override]["default"] == "", key
        (abbreviation,) = re.findall(r"\$\{abbrs\.(\w+)\}", operands["true_value"])
        assert abbreviation in abbreviations, key
        assert "${resourceToken}" in operands["true_value"] or key == "resourceGroup"


def test_parameters_file_covers_the_required_parameters_and_outputs_are_upper_snake() -> None:
    tree = template("main.bicep")
    given = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    required = {
        name for name, p in tree["parameters"].items() if "default" not in p or p["default"] is None
    }
    assert required == {"environmentName", "location", "mailFrom", "approvalSigningKeys"}
    assert required <= set(given)
    assert set(given) <= set(tree["parameters"])
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in tree["outputs"])


def test_function_app_is_linux_python_311_locked_down_with_the_identity() -> None:
    (site,) = resources_of_type(template("app/function.bicep"), "Microsoft.Web/sites").values()
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    assert list(map(unquote, site["identity"]["userAssignedIdentities"])) == ["${identityId}"]
    properties = site["properties"]
    assert properties["httpsOnly"] is True
    assert properties["keyVaultReferenceIdentity"] == "identityId"
    config = properties["siteConfig"]
    assert config["linuxFxVersion"] == "Python|3.11"
    assert config["ftpsState"] == "Disabled"
    assert config["minTlsVersion"] == "1.2"
    assert config["scmMinTlsVersion"] == "1.2"
    assert config["remoteDebuggingEnabled"] is False
    assert config["ipSecurityRestrictions"] == "ipRules"


def test_basic_publishing_credentials_are_off() -> None:
    policies = resources_of_type(
        template("app/function.bicep"), "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
    )
    assert {p["name"]: p["properties"]["allow"] for p in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def test_plan_is_elastic_premium_linux() -> None:
    tree = template("app/function.bicep")
    (plan,) = resources_of_type(tree, "Microsoft.Web/serverfarms").values()
    assert plan["sku"]["tier"] == "ElasticPremium"
    assert plan["kind"] == "elastic"
    assert plan["properties"]["reserved"] is True
    allowed = next(
        d["argument"] for d in tree["parameters"]["planSku"]["decorators"] if d["type"] == "allowed"
    )
    assert allowed
    assert all(re.fullmatch(r"EP[1-3]", sku) for sku in allowed)


def test_scheduler_and_task_hub_are_deployed_only_for_the_scheduler_backend() -> None:
    tree = template("app/scheduler.bicep")
    (scheduler,) = resources_of_type(tree, "Microsoft.DurableTask/schedulers").values()
    (hub,) = resources_of_type(tree, "Microsoft.DurableTask/schedulers/taskHubs").values()
    assert scheduler["api_version"] == hub["api_version"] == "2025-11-01"
    assert scheduler["properties"]["ipAllowlist"] == "ipAllowlist"
    assert hub["parent"] == "scheduler"
    assert hub["name"] == "taskHubName"
    main = template("main.bicep")
    module = main["modules"]["scheduler"]
    assert module["detail"]["path"] == "app/scheduler.bicep"
    assert module["config"]["condition"] == "useScheduler"
    assert main["variables"]["useScheduler"]["value"]["operator"]["operands"] == {
        "operand_1": "durableBackend",
        "operand_2": "scheduler",
    }
    assert main["parameters"]["durableBackend"]["default"] == "scheduler"
    assert main["parameters"]["schedulerIpAllowlist"]["default"] == ["0.0.0.0/0"]


def test_storage_account_has_shared_keys_off_and_tls_12() -> None:
    tree = template("app/storage.bicep")
    (storage,) = resources_of_type(tree, "Microsoft.Storage/storageAccounts").values()
    properties = storage["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["allowBlobPublicAccess"] is False
    params = template("main.bicep")["modules"]["storage"]["config"]["params"]
    # services/drafting keeps drafts and finals in one container, DOCUMENTS_CONTAINER.
    assert params["containerNames"] == [
        DOCUMENTS_CONTAINER,
        "definitionsContainer",
        "schedulesContainer",
    ]
    variables = template("main.bicep")["variables"]
    assert variables["definitionsContainer"]["value"] == "workflow-definitions"
    assert variables["schedulesContainer"]["value"] == "workflow-schedules"
    assert params["queueNames"] == ["output-queue"]


def test_service_bus_queues_have_sessions_and_duplicate_detection() -> None:
    tree = template("app/servicebus.bicep")
    (namespace,) = resources_of_type(tree, "Microsoft.ServiceBus/namespaces").values()
    assert namespace["properties"]["disableLocalAuth"] is True
    assert namespace["properties"]["minimumTlsVersion"] == "1.2"
    queues = {
        q["name"]: q["properties"]
        for q in resources_of_type(tree, "Microsoft.ServiceBus/namespaces/queues").values()
    }
    assert queues["schema-changes"]["requiresDuplicateDetection"] is True
    assert queues["schema-changes"]["maxDeliveryCount"] == 10
    assert queues["schema-changes"].get("requiresSession") is not True
    assert queues["device-events"]["requiresSession"] is True


def test_sql_is_entra_only() -> None:
    tree = template("app/sql.bicep")
    (server,) = resources_of_type(tree, "Microsoft.Sql/servers").values()
    properties = server["properties"]
    administrators = properties["administrators"]
    assert administrators["administratorType"] == "ActiveDirectory"
    assert administrators["azureADOnlyAuthentication"] is True
    assert administrators["sid"] == "adminObjectId"
    assert "administratorLogin" not in properties
    assert properties["minimalTlsVersion"] == "1.2"
    (auditing,) = resources_of_type(tree, "Microsoft.Sql/servers/auditingSettings").values()
    assert auditing["properties"]["state"] == "Enabled"


def test_key_vault_is_rbac_only_with_purge_protection() -> None:
    tree = template("app/keyvault.bicep")
    (vault,) = resources_of_type(tree, "Microsoft.KeyVault/vaults").values()
    properties = vault["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enablePurgeProtection"] is True
    assert properties["enableSoftDelete"] is True
    secrets = resources_of_type(tree, "Microsoft.KeyVault/vaults/secrets")
    assert {s["name"] for s in secrets.values()} == {"sendGridSecretName", "signingKeysSecretName"}
    assert tree["variables"]["sendGridSecretName"]["value"] == "sendgrid-api-key"
    assert tree["variables"]["signingKeysSecretName"]["value"] == "approval-signing-keys"


def test_monitoring_has_local_auth_off() -> None:
    tree = template("app/monitoring.bicep")
    (insights,) = resources_of_type(tree, "Microsoft.Insights/components").values()
    assert insights["properties"]["DisableLocalAuth"] is True
    assert insights["properties"]["WorkspaceResourceId"]["operator"]["operands"] == {
        "operand_1": "workspace",
        "operand_2": "id",
    }
    (workspace,) = resources_of_type(tree, "Microsoft.OperationalInsights/workspaces").values()
    assert workspace["properties"]["features"]["disableLocalAuth"] is True


# ---- role assignments ----


def role_assignments() -> dict[str, dict[str, Any]]:
    return resources_of_type(template("rbac.bicep"), "Microsoft.Authorization/roleAssignments")


def assigned(assignment: dict[str, Any]) -> tuple[str, str, str]:
    """(display name of the role, principal, scope) of one assignment."""
    variables = role_variables()
    role_variable = assignment["properties"]["roleDefinitionId"]["function"]["parameters"][
        "resource_name_1"
    ]
    return (
        variables[role_variable][0],
        assignment["properties"]["principalId"],
        assignment["scope"],
    )


def test_role_id_variables_are_the_built_in_roles_named_in_their_comments() -> None:
    variables = role_variables()
    assert len(variables) >= len(APP_ROLES)
    for variable, (display_name, role_id) in variables.items():
        assert BUILT_IN_ROLES.get(display_name) == role_id, variable


def test_the_app_identity_gets_exactly_the_listed_roles_on_their_resources() -> None:
    app_roles = {
        role: scope
        for role, principal, scope in map(assigned, role_assignments().values())
        if principal == "appPrincipalId"
    }
    assert app_roles == APP_ROLES


def test_the_deploying_user_gets_the_scheduler_dashboard_role() -> None:
    user = {
        (role, scope): a["condition"]
        for a in role_assignments().values()
        for role, principal, scope in [assigned(a)]
        if principal == "userPrincipalId"
    }
    condition = user[("Durable Task Data Contributor", "scheduler")]
    assert condition["operator"]["type"] == "and"
    assert condition["operator"]["operands"]["operand_1"] == "useScheduler"
    assert all(key[0] in BUILT_IN_ROLES for key in user)


def test_role_assignment_names_are_guid_of_scope_principal_and_role() -> None:
    for name, assignment in role_assignments().items():
        guid = assignment["name"]["function"]
        assert guid["type"] == "guid", name
        parameters = guid["parameters"]
        assert parameters["base_string"]["operator"]["operands"] == {
            "operand_1": assignment["scope"],
            "operand_2": "id",
        }, name
        assert parameters["extra_string_1"] == assignment["properties"]["principalId"], name
        assert (
            parameters["extra_string_2"]
            == assignment["properties"]["roleDefinitionId"]["function"]["parameters"][
                "resource_name_1"
            ]
        ), name


def test_role_assignments_live_only_in_rbac_bicep_and_main_wires_the_identity() -> None:
    elsewhere = [
        p.name
        for p in bicep_files()
        if p.name != "rbac.bicep"
        and "Microsoft.Authorization/roleAssignments" in p.read_text(encoding="utf-8")
    ]
    assert elsewhere == []
    params = template("main.bicep")["modules"]["rbac"]["config"]["params"]
    assert params["appPrincipalId"]["operator"]["operands"]["operand_1"] == "identity"
    assert params["userPrincipalId"] == "principalId"


# ---- what the Bicep compiler would check, and pycep does not ----


def module_calls() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """main.bicep's modules: symbol -> (params given, the module file's parsed tree)."""
    calls = {}
    for symbol, module in template("main.bicep")["modules"].items():
        config = module["config"]
        config = config["config"] if "condition" in config and "config" in config else config
        calls[symbol] = (config["params"], template(module["detail"]["path"]))
    return calls


def output_references(node: Any) -> set[tuple[str, str]]:
    """Every ``<module>.outputs.<name>`` accessed anywhere under ``node``."""
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        operands = (
            node.get("operator", {}).get("operands")
            if isinstance(node.get("operator"), dict)
            else None
        )
        if isinstance(operands, dict) and isinstance(operands.get("operand_1"), str):
            inner = operands.get("operand_2")
            if (
                isinstance(inner, dict)
                and inner.get("operator", {}).get("operands", {}).get("operand_1") == "outputs"
            ):
                found.add((operands["operand_1"], inner["operator"]["operands"]["operand_2"]))
        for value in node.values():
            found |= output_references(value)
    elif isinstance(node, list):
        for value in node:
            found |= output_references(value)
    return found


def test_modules_get_only_declared_parameters_and_every_required_one() -> None:
    for symbol, (given, module) in module_calls().items():
        declared = module["parameters"]
        required = {name for name, p in declared.items() if p.get("default") is None}
        assert set(given) <= set(declared), f"{symbol}: unknown {set(given) - set(declared)}"
        assert required <= set(given), f"{symbol}: missing {required - set(given)}"


def test_module_outputs_used_in_main_exist() -> None:
    calls = module_calls()
    used = output_references(template("main.bicep"))
    assert ("identity", "clientId") in used
    for symbol, output in used:
        assert output in calls[symbol][1]["outputs"], f"{symbol}.outputs.{output}"


def test_the_function_app_is_wired_to_the_identity_and_resources_main_creates() -> None:
    given = module_calls()["functionApp"][0]
    wiring = {name: output_references(value) for name, value in given.items()}
    assert wiring["identityId"] == {("identity", "id")}
    assert wiring["identityClientId"] == {("identity", "clientId")}
    assert wiring["storageAccountName"] == {("storage", "name")}
    assert wiring["serviceBusFullyQualifiedNamespace"] == {
        ("serviceBus", "fullyQualifiedNamespace")
    }
    assert wiring["sendGridSecretUri"] == {("keyVault", "sendGridSecretUri")}
    assert wiring["signingKeysSecretUri"] == {("keyVault", "signingKeysSecretUri")}
    assert wiring["schedulerEndpoint"] == {("scheduler", "endpoint")}
    assert given["durableBackend"] == "durableBackend"


def test_the_postprovision_hook_reads_only_outputs_main_declares() -> None:
    hook = (INFRA / "hooks" / "postprovision.sh").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(AZURE_[A-Z_]+)", hook))
    assert used == {"AZURE_SQL_SERVER", "AZURE_SQL_DATABASE", "AZURE_IDENTITY_NAME"}
    assert used <= set(template("main.bicep")["outputs"])
    azure_yaml = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    assert "run: ./infra/hooks/postprovision.sh" in azure_yaml
