"""SmartCodes: sandboxed Python macros that value usage events or price aggregated usage."""
