"""Message types at the import paths of the official SDK (``scalekit.v1.*``)."""
