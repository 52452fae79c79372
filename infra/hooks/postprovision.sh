#!/bin/sh
# azd postprovision hook: create the database user of the app's managed identity.
# Entra-only SQL has no logins to create from Bicep; a contained user must be created with
# T-SQL by an Entra administrator (the deploying user by default). Idempotent: safe on every
# `azd up`. Needs go-sqlcmd and a SQL firewall rule for this machine (allowedIpAddresses).
set -eu

: "${AZURE_SQL_SERVER:?run through azd: AZURE_SQL_SERVER is an output of infra/main.bicep}"
: "${AZURE_SQL_DATABASE:?run through azd}"
: "${AZURE_IDENTITY_NAME:?run through azd}"

if ! command -v sqlcmd >/dev/null 2>&1; then
  echo "sqlcmd not found: create the app's database user by hand (docs/deploy.md, step 2)." >&2
  exit 1
fi

sqlcmd -S "$AZURE_SQL_SERVER" -d "$AZURE_SQL_DATABASE" \
  --authentication-method ActiveDirectoryDefault -b -Q "
IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'$AZURE_IDENTITY_NAME')
  CREATE USER [$AZURE_IDENTITY_NAME] FROM EXTERNAL PROVIDER;
ALTER ROLE db_datareader ADD MEMBER [$AZURE_IDENTITY_NAME];
ALTER ROLE db_datawriter ADD MEMBER [$AZURE_IDENTITY_NAME];
ALTER ROLE db_ddladmin ADD MEMBER [$AZURE_IDENTITY_NAME];
"
echo "database user $AZURE_IDENTITY_NAME is ready in $AZURE_SQL_DATABASE"
