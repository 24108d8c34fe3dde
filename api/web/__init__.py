"""Server-rendered web pages (Jinja2 + htmx) over the same service layer as the API: see ``routes``."""
