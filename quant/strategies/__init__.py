"""Strategies: the plugin interface, a registry with typed parameters, and the built-ins."""
