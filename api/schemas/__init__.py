"""Pydantic types at the HTTP edge: bodies (``*Request``/``*Create``) and responses (``*Public``), per resource."""
