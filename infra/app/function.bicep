// The Function App (Linux, Python 3.11) on an Elastic Premium plan, with the user-assigned
// identity and every app setting the code and the Functions host read in Azure. Connections are
// identity-based (`__accountName`, `__fullyQualifiedNamespace`, `__credential`, `__clientId`);
// the two secrets are Key Vault references.
param name string
param planName string
param location string
param tags object = {}

@description('azd deploys the code to the site tagged with this service name (see azure.yaml).')
param serviceName string = 'api'

@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Most instances the plan scales out to.')
param maximumElasticWorkerCount int = 20

@allowed([
  'scheduler'
  'storage'
])
param durableBackend string

param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param serviceBusFullyQualifiedNamespace string
param appInsightsConnectionString string
param sendGridSecretUri string
param signingKeysSecretUri string
param sqlServerFqdn string
param sqlDatabaseName string
param schedulerEndpoint string = ''
param taskHubName string
param mailFrom string
@description('Mail domain of requesters named by user name; empty: they are not mailed.')
param requesterMailDomain string = ''
param graphSiteId string = ''
param graphDriveId string = ''
@allowed([
  'true'
  'false'
])
param trustEasyAuth string = 'false'

@description('Databases to document, name -> SQLAlchemy URL; empty documents the app database.')
param sourceDatabases object = {}

param approvalPolicyFile string = 'examples/approval-policy.json'
param workflowsPath string = 'workflows'
param definitionsContainer string = 'workflow-definitions'
param schedulesFile string = 'schedules/schedules.json'
param schedulesContainer string = 'workflow-schedules'

@description('NCRONTAB of the timer that enqueues due schedules.')
param schedulesTimerSchedule string = '*/15 * * * * *'

@description('Claims up to this amount approve without a decision: "1000" or "1000 EUR".')
param claimAutoApproveLimit string = '1000'

@description('Destinations the http_request activity may call, comma-separated; empty allows none.')
param outboundHttpAllowedHosts string = ''

@description('Largest response body the http_request activity reads, in bytes.')
param outboundHttpMaxResponseBytes int = 1048576

@description('Device events: most events one device entity holds, batch size and window.')
param deviceEventsLimit int = 1000
param deviceBatchSize int = 50
param deviceBatchWindow string = 'PT5M'

@description('IPv4 addresses allowed to call the app; empty allows everyone.')
param allowedIpAddresses array = []

var useScheduler = durableBackend == 'scheduler'

// No user and no password: adapters/sql.py adds an Entra access token at each connect.
var databaseUrl = 'mssql+pyodbc://@${sqlServerFqdn}:1433/${sqlDatabaseName}?driver=ODBC+Driver+18+for+SQL+Server&Encrypt=yes&TrustServerCertificate=no'

var ipRules = [for (ip, i) in allowedIpAddresses: {
  name: 'allow-list-${i}'
  ipAddress: '${ip}/32'
  action: 'Allow'
  priority: 100 + i
}]

// Settings every deployment has, whatever the durable backend.
var commonSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'python'
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
  ENABLE_ORYX_BUILD: 'true'
  AZURE_CLIENT_ID: identityClientId
  // Host storage (and the Azure Storage durable backend, queue triggers, the output queue).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The app's own blobs: drafts, final documents, workflow definitions.
  DOCUMENTS_STORAGE__blobServiceUri: storageBlobEndpoint
  DOCUMENTS_STORAGE__credential: 'managedidentity'
  DOCUMENTS_STORAGE__clientId: identityClientId
  // Service Bus triggers (`connection="ServiceBusConnection"`).
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
  // Local auth is off on Application Insights: the host sends telemetry with the identity.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  TASKHUB_NAME: taskHubName
  DATABASE_URL: databaseUrl
  SOURCE_DATABASES: string(empty(sourceDatabases) ? {
    app: databaseUrl
  } : sourceDatabases)
  MAIL_TRANSPORT: 'sendgrid'
  MAIL_FROM: mailFrom
  REQUESTER_MAIL_DOMAIN: requesterMailDomain
  SENDGRID_API_KEY: '@Microsoft.KeyVault(SecretUri=${sendGridSecretUri})'
  DOCUMENT_LIBRARY: 'graph'
  GRAPH_SITE_ID: graphSiteId
  GRAPH_DRIVE_ID: graphDriveId
  PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
  APPROVAL_SIGNING_KEYS: '@Microsoft.KeyVault(SecretUri=${signingKeysSecretUri})'
  TRUST_EASY_AUTH: trustEasyAuth
  APPROVAL_POLICY_FILE: approvalPolicyFile
  WORKFLOWS_PATH: workflowsPath
  WORKFLOW_DEFINITIONS_CONTAINER: definitionsContainer
  // The stuck-instance monitor (management.stuck): every 15 minutes, 50 h, 1 h of grace.
  STUCK_MONITOR_SCHEDULE: '0 */15 * * * *'
  STUCK_AFTER: 'PT50H'
  STUCK_GRACE: 'PT1H'
  SCHEDULES_FILE: schedulesFile
  SCHEDULES_CONTAINER: schedulesContainer
  SCHEDULES_TIMER_SCHEDULE: schedulesTimerSchedule
  CLAIM_AUTO_APPROVE_LIMIT: claimAutoApproveLimit
  OUTBOUND_HTTP_ALLOWED_HOSTS: outboundHttpAllowedHosts
  OUTBOUND_HTTP_MAX_RESPONSE_BYTES: string(outboundHttpMaxResponseBytes)
  DEVICE_EVENTS_LIMIT: string(deviceEventsLimit)
  DEVICE_BATCH_SIZE: string(deviceBatchSize)
  DEVICE_BATCH_WINDOW: deviceBatchWindow
}

// host.json names the `azureManaged` provider and this connection setting.
var schedulerSettings = {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${schedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
}

// App settings override host.json: switch the provider to Azure Storage and point it at the
// identity-based host storage connection instead of the scheduler's connection string.
var storageBackendSettings = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'AzureStorage'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'AzureWebJobsStorage'
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy on Elastic Premium needs three always-ready instances and a region that supports it; off by default to keep a first deployment cheap.
  name: planName
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: maximumElasticWorkerCount
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  // checkov:skip=CKV_AZURE_222: approvers open the approval pages from their browsers; the optional IP allow-list (allowedIpAddresses) restricts callers.
  // checkov:skip=CKV_AZURE_17: approvers' browsers carry no client certificates; callers are authenticated by App Service authentication and signed approval links.
  // checkov:skip=CKV_AZURE_212: Elastic Premium scales out on events; minimumElasticInstanceCount keeps one warm instance and numberOfWorkers does not apply.
  // checkov:skip=CKV_AZURE_213: the app has no anonymous health route; the Functions platform monitors the host itself.
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: identityId
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      linuxFxVersion: 'Python|3.11'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      minimumElasticInstanceCount: 1
      ipSecurityRestrictions: ipRules
      ipSecurityRestrictionsDefaultAction: empty(allowedIpAddresses) ? 'Allow' : 'Deny'
      scmIpSecurityRestrictionsUseMain: true
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  // checkov:skip=CKV_AZURE_13: false positive: this config resource holds app settings; App Service authentication is enabled outside Bicep (docs/deploy.md).
  // checkov:skip=CKV_AZURE_63: false positive: checkov applies site-config checks to every sites/config resource; this one is `appsettings`, not `web`.
  // checkov:skip=CKV_AZURE_65: false positive, as CKV_AZURE_63.
  // checkov:skip=CKV_AZURE_66: false positive, as CKV_AZURE_63.
  // checkov:skip=CKV_AZURE_80: false positive, as CKV_AZURE_63 (and the app is Python, not .NET).
  // checkov:skip=CKV_AZURE_222: false positive, as CKV_AZURE_63; the site's public access is covered on the site resource.
  // checkov:skip=CKV_AZURE_88: Azure Files would need a shared-key connection string, and shared keys are off; Elastic Premium on Linux runs without a content share.
  parent: site
  name: 'appsettings'
  properties: union(commonSettings, useScheduler ? schedulerSettings : storageBackendSettings)
}

// Deployments authenticate with Entra tokens; basic (user/password) publishing is off.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
output planName string = plan.name
