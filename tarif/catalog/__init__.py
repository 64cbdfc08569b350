"""Products, periodicities, pricelists and price lookup."""
