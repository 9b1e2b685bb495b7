"""Benchmarks of the platform; `make bench-web` runs bench/web.py."""
