"""Scripted model endpoints for the examples: local HTTP servers speaking the OpenAI Chat
Completions and Responses, Anthropic Messages and Gemini generateContent wire formats. Each
replays one conversation: first it asks for `gmail_fetch_mails` (when that tool is offered), then
it answers with a summary that quotes the tool result (the subject of the first email).

The vendors' SDKs reach it through their documented base-URL settings (OPENAI_BASE_URL,
ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL / http_options). Run: `python scripted_llm.py`; it
prints `SCRIPTED_LLM_URL=http://127.0.0.1:<port>` and serves until killed.
"""

from __future__ import annotations

import json
import re
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

TOOL = "gmail_fetch_mails"
TOOL_INPUT = {"query": "is:unread", "max_results": 5}
PROMPT_ANSWER = "Here is a summary of your unread email. The most recent one is: {subject}."


def summary(tool_output: str) -> str:
    # JSON ("subject": "…") or a Python repr ('subject': '…'), as samples pass either.
    found = re.search(r"""["']subject["']\s*:\s*(["'])(.*?)\1""", tool_output)
    subject = found.group(2) if found else "(no subject found)"
    return PROMPT_ANSWER.format(subject=subject)


def tool_input(schema: Any) -> Dict[str, Any]:
    """The scripted arguments, with `null` for every other required property (strict schemas
    require all of them)."""
    required = schema.get("required", []) if isinstance(schema, dict) else []
    return {**{name: None for name in required}, **TOOL_INPUT}


def pick_tool(offered: List[Any]) -> str:
    """The offered tool that fetches mail (frameworks may prefix names, e.g. Mastra's `server_`)."""
    return next((name for name in offered if isinstance(name, str) and name.endswith(TOOL)), "")


def text_of(content: Any) -> str:
    """Tool output text from any vendor's content shape."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(text_of(c) for c in content)
    if isinstance(content, dict):
        for key in ("text", "content", "output", "result", "response"):
            if key in content:
                return text_of(content[key])
        return json.dumps(content)
    return str(content)


def anthropic(body: Dict[str, Any]) -> Dict[str, Any]:
    results = [b for m in body.get("messages", []) if isinstance(m.get("content"), list) for b in m["content"]
               if isinstance(b, dict) and b.get("type") == "tool_result"]
    base = {"id": f"msg_{uuid.uuid4().hex[:12]}", "type": "message", "role": "assistant", "model": body.get("model", "scripted"),
            "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 10}}
    tool = pick_tool([t.get("name") for t in body.get("tools", [])])
    if results or not tool:
        return {**base, "stop_reason": "end_turn", "content": [{"type": "text", "text": summary(text_of(results[-1]) if results else "")}]}
    return {**base, "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:12]}", "name": tool, "input": TOOL_INPUT}]}


def openai_chat(body: Dict[str, Any]) -> Dict[str, Any]:
    tool_messages = [m for m in body.get("messages", []) if m.get("role") == "tool"]
    tool = pick_tool([t.get("function", {}).get("name") for t in body.get("tools", [])])
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": 0, "model": body.get("model", "scripted"),
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
    if tool_messages or not tool:
        message = {"role": "assistant", "content": summary(text_of(tool_messages[-1].get("content")) if tool_messages else "")}
        return {**base, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    call = {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function", "function": {"name": tool, "arguments": json.dumps(TOOL_INPUT)}}
    return {**base, "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}]}


def openai_responses(body: Dict[str, Any]) -> Dict[str, Any]:
    items = body.get("input") if isinstance(body.get("input"), list) else []
    outputs = [i for i in items if isinstance(i, dict) and i.get("type") == "function_call_output"]
    tool = pick_tool([t.get("name") for t in body.get("tools", [])])
    base = {"id": f"resp_{uuid.uuid4().hex[:12]}", "object": "response", "created_at": 0, "status": "completed", "model": body.get("model", "scripted"),
            "usage": {"input_tokens": 10, "output_tokens": 10, "total_tokens": 20}}
    if outputs or not tool:
        text = summary(text_of(outputs[-1].get("output")) if outputs else "")
        message = {"type": "message", "id": f"msg_{uuid.uuid4().hex[:8]}", "role": "assistant", "status": "completed",
                   "content": [{"type": "output_text", "text": text, "annotations": []}]}
        return {**base, "output": [message]}
    schema = next((t.get("parameters") for t in body.get("tools", []) if t.get("name") == tool), {})
    call = {"type": "function_call", "id": f"fc_{uuid.uuid4().hex[:8]}", "call_id": f"call_{uuid.uuid4().hex[:8]}", "name": tool,
            "arguments": json.dumps(tool_input(schema)), "status": "completed"}
    return {**base, "output": [call]}


def gemini(body: Dict[str, Any]) -> Dict[str, Any]:
    parts: List[Dict[str, Any]] = [p for c in body.get("contents", []) for p in c.get("parts", [])]
    responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
    tool = pick_tool([d.get("name") for t in body.get("tools", []) for d in t.get("functionDeclarations", t.get("function_declarations", []))])
    if responses or not tool:
        part = {"text": summary(text_of(responses[-1].get("response")) if responses else "")}
    else:
        part = {"functionCall": {"name": tool, "args": TOOL_INPUT}}
    return {"candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20}}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?")[0]
        if path.endswith("/messages"):
            answer = anthropic(body)
        elif path.endswith("/chat/completions"):
            answer = openai_chat(body)
        elif path.endswith("/responses"):
            answer = openai_responses(body)
        elif ":generateContent" in path:
            answer = gemini(body)
        else:
            self.send_error(404, "unknown endpoint")
            return
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def serve() -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


if __name__ == "__main__":
    server = serve()
    print(f"SCRIPTED_LLM_URL=http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()
