"""Organizations (tenants), users, roles and API keys."""
