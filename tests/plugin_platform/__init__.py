"""A chat that exists only in the tests, added the way a new adapter would be: through the seam
(adapters/platform.py) and the core's ports, nothing else."""
