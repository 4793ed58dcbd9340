"""Request and response models of ``client.actions.providers`` (import paths of the official SDK)."""
