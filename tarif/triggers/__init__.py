"""Usage triggers: when a contract's usage line is invoiced before its period ends."""
