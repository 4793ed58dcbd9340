from scalekit.actions.models.responses import UpdateCustomProviderResponse

__all__ = ["UpdateCustomProviderResponse"]
