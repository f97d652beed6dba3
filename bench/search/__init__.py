"""Parts of bench/search_bench.py: datasets, the three systems under test, timing and reports."""
