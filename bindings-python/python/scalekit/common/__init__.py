"""Shared pieces of the Scalekit SDK: the exception hierarchy."""
