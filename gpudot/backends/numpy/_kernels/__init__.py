"""The NumPy backend's optional numba kernels, found lazily (``_load``); numba is never
imported before a product needs it."""
