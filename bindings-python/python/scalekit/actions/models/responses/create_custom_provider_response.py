from scalekit.actions.models.responses import CreateCustomProviderResponse

__all__ = ["CreateCustomProviderResponse"]
