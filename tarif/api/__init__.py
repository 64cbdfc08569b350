"""The REST API (`/v1`): app factory, problem+json errors, auth, pagination, idempotency."""
