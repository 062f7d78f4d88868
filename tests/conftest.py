"""Test-session setup for the repository's own tests (the shipped suite needs none)."""
