from scalekit.actions.models.responses import ListProvidersResponse

__all__ = ["ListProvidersResponse"]
