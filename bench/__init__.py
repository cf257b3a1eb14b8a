"""Benchmarks (DESIGN.md §7): ``make bench`` runs ``bench/run.py``."""
