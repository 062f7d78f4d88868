"""The NumPy backend, its exact routes (``_exact``) and compiled kernels (``_kernels``)."""
