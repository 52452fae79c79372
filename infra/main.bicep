// Entry point for `azd up`: creates the resource group and composes one module per concern.
// Names come from abbreviations.json plus a resource token; each can be overridden.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of the resource token and the resource group name.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Object id of the deploying user or principal (azd sets AZURE_PRINCIPAL_ID).')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@allowed([
  'scheduler'
  'storage'
])
@description('Durable backend: the Durable Task Scheduler (default) or the Azure Storage provider.')
param durableBackend string = 'scheduler'

@allowed([
  'Consumption'
  'Dedicated'
])
param schedulerSkuName string = 'Consumption'

@description('Addresses allowed to reach the scheduler; the app and the dashboard both need it.')
param schedulerIpAllowlist array = [
  '0.0.0.0/0'
]

@description('Durable task hub name (letters and digits, 3 to 45 characters).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'workflows'

@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param functionPlanSku string = 'EP1'

@description('Optional IPv4 allow-list: callers of the app and SQL firewall rules. Empty allows any caller.')
param allowedIpAddresses array = []

@description('Verified SendGrid sender address of workflow mail.')
param mailFrom string

@description('Mail domain of requesters who are named by user name (rita -> rita@domain).')
param requesterMailDomain string = ''

@secure()
@description('SendGrid API key, stored in Key Vault; may be set later.')
param sendGridApiKey string = ''

@secure()
@description('Comma-separated approval-link signing keys, newest first, stored in Key Vault.')
param approvalSigningKeys string

param graphSiteId string = ''
param graphDriveId string = ''

@description('true once App Service authentication guards the approval pages.')
@allowed([
  'true'
  'false'
])
param trustEasyAuth string = 'false'

@description('Databases to document, name -> SQLAlchemy URL; empty documents the app database.')
param sourceDatabases object = {}

@description('Claims up to this amount approve without a decision: "1000" (any currency) or "1000 EUR".')
param claimAutoApproveLimit string = '1000'

@description('Destinations the http_request activity may call, comma-separated (host, host:port, *.domain, IP, CIDR); empty allows none.')
param outboundHttpAllowedHosts string = ''

@description('Entra object id of the SQL administrator; empty means the deploying principal.')
param sqlAdminObjectId string = ''

@description('Display name of the SQL administrator.')
param sqlAdminLogin string = 'azd-deployer'

// Name overrides: empty means abbreviation + resource token.
param resourceGroupName string = ''
param identityName string = ''
param logAnalyticsName string = ''
param appInsightsName string = ''
param storageAccountName string = ''
param serviceBusNamespaceName string = ''
param sqlServerName string = ''
param sqlDatabaseName string = ''
param keyVaultName string = ''
param schedulerName string = ''
param functionPlanName string = ''
param functionAppName string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var useScheduler = durableBackend == 'scheduler'
var definitionsContainer = 'workflow-definitions'
var schedulesContainer = 'workflow-schedules'

var names = {
  resourceGroup: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  identity: empty(identityName) ? '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}' : identityName
  logAnalytics: empty(logAnalyticsName) ? '${abbrs.operationalInsightsWorkspaces}${resourceToken}' : logAnalyticsName
  appInsights: empty(appInsightsName) ? '${abbrs.insightsComponents}${resourceToken}' : appInsightsName
  storage: empty(storageAccountName) ? '${abbrs.storageStorageAccounts}${resourceToken}' : storageAccountName
  serviceBus: empty(serviceBusNamespaceName) ? '${abbrs.serviceBusNamespaces}${resourceToken}' : serviceBusNamespaceName
  sqlServer: empty(sqlServerName) ? '${abbrs.sqlServers}${resourceToken}' : sqlServerName
  sqlDatabase: empty(sqlDatabaseName) ? '${abbrs.sqlServersDatabases}${resourceToken}' : sqlDatabaseName
  keyVault: empty(keyVaultName) ? '${abbrs.keyVaultVaults}${resourceToken}' : keyVaultName
  scheduler: empty(schedulerName) ? '${abbrs.durableTaskSchedulers}${resourceToken}' : schedulerName
  functionPlan: empty(functionPlanName) ? '${abbrs.webServerFarms}${resourceToken}' : functionPlanName
  functionApp: empty(functionAppName) ? '${abbrs.webSitesFunctions}${resourceToken}' : functionAppName
}

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    // `documents` holds drafts and final documents (<id>/draft.docx, <id>/final.docx), as
    // services/drafting stores them; the app does not create containers with its identity.
    containerNames: [
      'documents'
      definitionsContainer
      schedulesContainer
    ]
    queueNames: [
      'output-queue'
    ]
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
  }
}

module sql 'app/sql.bicep' = {
  name: 'sql'
  scope: rg
  params: {
    serverName: names.sqlServer
    databaseName: names.sqlDatabase
    location: location
    tags: tags
    adminObjectId: empty(sqlAdminObjectId) ? principalId : sqlAdminObjectId
    adminLogin: sqlAdminLogin
    adminPrincipalType: principalType == 'ServicePrincipal' ? 'Application' : 'User'
    allowedIpAddresses: allowedIpAddresses
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    sendGridApiKey: sendGridApiKey
    approvalSigningKeys: approvalSigningKeys
  }
}

module scheduler 'app/scheduler.bicep' = if (useScheduler) {
  name: 'scheduler'
  scope: rg
  params: {
    name: names.scheduler
    taskHubName: taskHubName
    location: location
    tags: tags
    skuName: schedulerSkuName
    ipAllowlist: schedulerIpAllowlist
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.functionPlan
    location: location
    tags: tags
    planSku: functionPlanSku
    durableBackend: durableBackend
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.connectionString
    sendGridSecretUri: keyVault.outputs.sendGridSecretUri
    signingKeysSecretUri: keyVault.outputs.signingKeysSecretUri
    sqlServerFqdn: sql.outputs.fullyQualifiedDomainName
    sqlDatabaseName: sql.outputs.databaseName
    schedulerEndpoint: useScheduler ? scheduler.outputs.endpoint : ''
    taskHubName: taskHubName
    mailFrom: mailFrom
    requesterMailDomain: requesterMailDomain
    graphSiteId: graphSiteId
    graphDriveId: graphDriveId
    trustEasyAuth: trustEasyAuth
    sourceDatabases: sourceDatabases
    definitionsContainer: definitionsContainer
    schedulesContainer: schedulesContainer
    claimAutoApproveLimit: claimAutoApproveLimit
    outboundHttpAllowedHosts: outboundHttpAllowedHosts
    allowedIpAddresses: allowedIpAddresses
  }
}

module rbac 'rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    useScheduler: useScheduler
    schedulerName: names.scheduler
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = subscription().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_URI string = functionApp.outputs.uri
output AZURE_IDENTITY_NAME string = identity.outputs.name
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_SERVICEBUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_SQL_SERVER string = sql.outputs.fullyQualifiedDomainName
output AZURE_SQL_DATABASE string = sql.outputs.databaseName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler.outputs.endpoint : ''
output TASKHUB_NAME string = taskHubName
