"""Background jobs: a table of work done off the request path by `tarif worker`."""
