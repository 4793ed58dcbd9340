"""The official module path of ``MagicLinkResponse`` (defined in :mod:`scalekit.actions.types`)."""

from scalekit.actions.types import MagicLinkResponse

__all__ = ["MagicLinkResponse"]
