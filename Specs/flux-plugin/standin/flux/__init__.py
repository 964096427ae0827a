"""Stand-in for the flux Python package (see ../README.md)."""
