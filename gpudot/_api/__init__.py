"""The public functions: dot, matmul, the product family, NumPy's errors, the profile."""
