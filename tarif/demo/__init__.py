"""The demo company loaded by `make run` / `tarif demo load`."""
