"""The API's one blueprint; each module of the package adds its routes to it."""

import azure.durable_functions as df
import azure.functions as func

# FUNCTION level unless a route says otherwise (the approval pages are anonymous: approvers
# arrive from mail links, and the signed token is their credential).
blueprint = df.Blueprint(http_auth_level=func.AuthLevel.FUNCTION)
