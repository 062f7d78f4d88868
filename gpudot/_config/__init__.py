"""Settings: one scoped-setting mechanism; precision, transfer and out-of-memory policies."""
