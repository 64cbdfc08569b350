"""The `tarif` command line (Typer + Rich), on the same services as the API."""
