"""Shared and written once against ``xp``: product descriptions, checks, algorithms, tiling,
contractions, comparisons with NumPy. Imports nothing above it."""
