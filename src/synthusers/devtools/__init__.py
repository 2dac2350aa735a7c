"""Tools for testing and benchmarking synthusers itself; not used by studies."""
