"""Usage: metrics, consumption events, their store and aggregation."""
