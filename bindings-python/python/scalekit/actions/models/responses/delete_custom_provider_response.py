from scalekit.actions.models.responses import DeleteCustomProviderResponse

__all__ = ["DeleteCustomProviderResponse"]
