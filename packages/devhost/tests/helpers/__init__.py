"""Helpers of devhost's own test suite (not part of the package)."""
