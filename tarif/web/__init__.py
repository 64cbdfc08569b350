"""The back office: server-rendered pages (Jinja2 + htmx) on top of the same services as the API."""
