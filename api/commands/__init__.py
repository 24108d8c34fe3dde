"""CLI command groups, one module per resource; heavy libraries are imported inside commands."""
