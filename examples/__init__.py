"""Sample inputs for the demo and the tests: source databases (built by a script) and messages."""
