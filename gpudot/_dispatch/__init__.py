"""Dispatch: the backend in effect, the registry, "auto" with its machine profiles, and
conversions between backends (which backend owns an array, what comes back)."""
