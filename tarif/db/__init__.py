"""Database plumbing: declarative base, column types, engine/session factory and migrations."""
