"""Support code shared by the test packages; ``tests/`` is on the path, so: ``import support``."""
