"""devhost's benchmarks (not tests): each prints a table; results in docs/performance.md."""
