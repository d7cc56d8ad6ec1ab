"""Production topology on one machine: `make prod` (see deploy/prod.py)."""
