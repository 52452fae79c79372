// Durable Task Scheduler and the task hub the app's orchestrations run in (host.json storage
// provider `azureManaged`). Only deployed when the durable backend parameter is `scheduler`.
param name string
param taskHubName string
param location string
param tags object = {}

@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string = 'Consumption'

@description('Capacity units; used by the Dedicated SKU only.')
param skuCapacity int = 1

@description('Addresses allowed to reach the scheduler. An empty list denies everyone, the app too.')
@minLength(1)
param ipAllowlist array

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated' ? {
      name: skuName
      capacity: skuCapacity
    } : {
      name: skuName
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

output id string = scheduler.id
output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
