// Azure SQL for the master index, audit trail, approvals and records. Entra-only authentication:
// there is no SQL login and no password anywhere; the app connects with its managed identity.
param serverName string
param databaseName string
param location string
param tags object = {}

@description('Object id of the Entra principal that administers the server (a user or a group).')
param adminObjectId string

@description('Display name recorded for that administrator.')
param adminLogin string

@allowed([
  'User'
  'Group'
  'Application'
])
param adminPrincipalType string = 'User'

@description('Public IPv4 addresses allowed through the firewall, for administration.')
param allowedIpAddresses array = []

@description('Log Analytics workspace that receives the server audit log.')
param workspaceId string

resource server 'Microsoft.Sql/servers@2023-08-01' = {
  // checkov:skip=CKV_AZURE_113: the Function App reaches SQL over the public endpoint (no VNet integration here); the firewall admits Azure services and the optional allow-list only, and only Entra tokens are accepted.
  name: serverName
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: adminLogin
      sid: adminObjectId
      tenantId: subscription().tenantId
      principalType: adminPrincipalType
    }
  }
}

resource database 'Microsoft.Sql/servers/databases@2023-08-01' = {
  // checkov:skip=CKV_AZURE_229: a single-zone serverless database keeps a small deployment cheap; set zoneRedundant for production SLAs (docs/deploy.md).
  // checkov:skip=CKV_AZURE_23: server-level auditing (auditingSettings below) covers every database on the server; a database-level policy would log each event twice.
  // checkov:skip=CKV_AZURE_25: server-level threat detection (securityAlertPolicies below, all alert types) covers every database on the server.
  // checkov:skip=CKV_AZURE_26: false positive: checkov's ARM check looks for a nested `resources` array, which Bicep has not; alerts go to the subscription admins at server level.
  // checkov:skip=CKV_AZURE_27: false positive, as CKV_AZURE_26; emailAccountAdmins is true in securityAlertPolicies below.
  parent: server
  name: databaseName
  location: location
  tags: tags
  sku: {
    name: 'GP_S_Gen5'
    tier: 'GeneralPurpose'
    family: 'Gen5'
    capacity: 1
  }
  properties: {
    autoPauseDelay: 60
    minCapacity: json('0.5')
    zoneRedundant: false
  }
}

// 0.0.0.0 to 0.0.0.0 is Azure's marker for "Azure services", which is how the Function App
// (without VNet integration) reaches the server.
resource allowAzureServices 'Microsoft.Sql/servers/firewallRules@2023-08-01' = {
  parent: server
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource allowedIps 'Microsoft.Sql/servers/firewallRules@2023-08-01' = [for (ip, i) in allowedIpAddresses: {
  parent: server
  name: 'allow-list-${i}'
  properties: {
    startIpAddress: ip
    endIpAddress: ip
  }
}]

resource auditing 'Microsoft.Sql/servers/auditingSettings@2023-08-01' = {
  parent: server
  name: 'default'
  properties: {
    state: 'Enabled'
    isAzureMonitorTargetEnabled: true
    retentionDays: 90
  }
}

resource securityAlerts 'Microsoft.Sql/servers/securityAlertPolicies@2023-08-01' = {
  parent: server
  name: 'Default'
  properties: {
    state: 'Enabled'
    emailAccountAdmins: true
  }
}

// Server audit events go to the master database's diagnostic setting, then to Log Analytics.
resource masterDatabase 'Microsoft.Sql/servers/databases@2023-08-01' existing = {
  // checkov:skip=CKV_AZURE_23: an `existing` reference to the system master database, only the scope of the audit diagnostic setting; nothing is deployed.
  // checkov:skip=CKV_AZURE_25: same: an `existing` reference, nothing is deployed.
  parent: server
  name: 'master'
}

resource auditDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: masterDatabase
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'SQLSecurityAuditEvents'
        enabled: true
      }
    ]
  }
}

output serverName string = server.name
output databaseName string = database.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
