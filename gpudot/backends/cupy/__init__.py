"""The CUDA backend, its out-of-memory executor and its check of the CUDA libraries."""
