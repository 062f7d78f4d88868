"""The Dask backend and its chunk planner."""
