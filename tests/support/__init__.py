"""Test helpers shared across the suites: real Azurite, a recording HTTP server."""
