"""The entities' one blueprint; each entity module adds its function to it."""

import azure.durable_functions as df

blueprint = df.Blueprint()
