"""The claims domain: claims and their payments (recorded once, reversed by compensation)."""
