"""Fallback proxy response used only when ``requests`` is not installed."""

from __future__ import annotations

import json
from typing import Any, List, Tuple


class ProxyResponse:
    def __init__(self, status: int, headers: List[Tuple[str, str]], content: bytes, url: str) -> None:
        self.status_code = status
        self.headers = {k.lower(): v for k, v in headers}
        self.content = content
        self.url = url

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)
