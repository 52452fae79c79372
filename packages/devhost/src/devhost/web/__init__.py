"""devhost's HTTP surface: HTTP triggers, the Durable HTTP API and the admin routes."""
