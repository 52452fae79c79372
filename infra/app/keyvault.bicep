// Key Vault in RBAC mode with purge protection: the app reads its two secrets through Key Vault
// references (resolved by the platform with the app's identity); no access policies exist.
param name string
param location string
param tags object = {}

@secure()
@description('SendGrid API key; left out of the vault when empty (set it later, see docs/deploy.md).')
param sendGridApiKey string = ''

@secure()
@description('Comma-separated approval-link signing keys, newest first.')
param approvalSigningKeys string

@description('Days a deleted vault (and its secrets) stays recoverable; 7 is the minimum.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 7

var sendGridSecretName = 'sendgrid-api-key'
var signingKeysSecretName = 'approval-signing-keys'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: default action Allow: the platform resolves Key Vault references over the app's public outbound network (no VNet integration here); access is RBAC-only.
  // checkov:skip=CKV_AZURE_189: public network access stays on for the same reason as CKV_AZURE_109.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource sendGridSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(sendGridApiKey)) {
  // checkov:skip=CKV_AZURE_41: SendGrid keys do not expire by themselves; an expiry here would silently break the Key Vault reference and all mail.
  // checkov:skip=CKV_AZURE_114: false positive: contentType is set below; checkov does not look inside a conditional (`if`) resource.
  parent: vault
  name: sendGridSecretName
  properties: {
    value: sendGridApiKey
    contentType: 'text/plain'
  }
}

resource signingKeysSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: signing keys are rotated by prepending a new key to the list (docs/deploy.md); an expiry would break every open approval link at once.
  parent: vault
  name: signingKeysSecretName
  properties: {
    value: approvalSigningKeys
    contentType: 'text/plain'
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
// Versionless secret URIs: a Key Vault reference then follows the latest version of the secret.
output sendGridSecretUri string = '${vault.properties.vaultUri}secrets/${sendGridSecretName}/'
output signingKeysSecretUri string = '${vault.properties.vaultUri}secrets/${signingKeysSecretName}/'
