"""Tools behind ``python -m gpudot``: report, self-test, explain."""
