// Service Bus namespace with the two queues that start and feed workflows. Local (SAS) auth is
// off: the app sends and receives with its managed identity only.
param name string
param location string
param tags object = {}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

// One message per schema change; the sender's message id makes resends harmless.
resource schemaChanges 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'schema-changes'
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
  }
}

// Session id = device id: events of one device are handled in order, by one consumer at a time.
resource deviceEvents 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: 'device-events'
  properties: {
    requiresSession: true
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
  }
}

output id string = namespace.id
output name string = namespace.name
// serviceBusEndpoint is https://<namespace>.<cloud suffix>:443/; the host wants the bare name.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
