"""Framework adapters and schema formats of the Python SDK: `actions.langchain.get_tools` (every
page; sync and async; JSON results; readable tool errors with the authorization link),
`actions.google.get_tools` (ADK declarations and runs), and every catalog tool in every vendor
format checked against that vendor's published constraints."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from gateway import connector_tool_names

FORMATS = ["anthropic", "openai", "openai_responses", "openai_strict", "gemini", "json_schema"]
GEMINI_KEYWORDS = {"type", "format", "description", "nullable", "enum", "properties", "required", "items",
                   "minItems", "maxItems", "minimum", "maximum", "title"}


@pytest.fixture
def user(client):
    name = f"fw-{uuid.uuid4().hex[:8]}"
    urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=name).link).read()
    return name


def test_langchain_tools_sync_async_and_errors(client, user):
    tools = client.actions.langchain.get_tools(identifier=user, page_size=1)  # one tool a page: all pages are fetched
    assert sorted(t.name for t in tools) == connector_tool_names("gmail")
    fetch = next(t for t in tools if t.name == "gmail_fetch_mails")
    assert "max_results" in fetch.args
    text = fetch.invoke({"query": "is:unread", "max_results": 2})
    assert len(json.loads(text)["messages"]) == 2, "results are JSON text"

    import asyncio

    text = asyncio.run(fetch.ainvoke({"query": "is:unread", "max_results": 1}))
    assert len(json.loads(text)["messages"]) == 1

    bad = next(t for t in tools if t.name == "gmail_get_message_by_id").invoke({"message_id": "nope"})
    assert "HTTP 404" in bad, "a failing tool returns readable text to the model"

    pending = f"pending-{uuid.uuid4().hex[:6]}"
    client.actions.get_or_create_connected_account(connection_name="gmail", identifier=pending)
    pending_tools = client.actions.langchain.get_tools(identifier=pending)
    message = next(t for t in pending_tools if t.name == "gmail_list_labels").invoke({})
    assert "PENDING_AUTH" in message and "/connect/" in message, "not ACTIVE → the authorization link"


async def test_google_adk_tools(client, user):
    tools = client.actions.google.get_tools(identifier=user, connection_names=["gmail"])
    fetch = next(t for t in tools if t.name == "gmail_fetch_mails")
    declaration = fetch._get_declaration()
    assert declaration.name == "gmail_fetch_mails" and declaration.parameters_json_schema["type"] == "object"
    data = await fetch.run_async(args={"query": "is:unread", "max_results": 3}, tool_context=None)
    assert len(data["messages"]) == 3
    error = await next(t for t in tools if t.name == "gmail_get_message_by_id").run_async(args={"message_id": "nope"}, tool_context=None)
    assert "HTTP 404" in error["error"]


def _gemini_ok(schema: dict, where: str) -> None:
    assert set(schema) <= GEMINI_KEYWORDS, f"{where}: unsupported keywords {set(schema) - GEMINI_KEYWORDS}"
    assert schema["type"] in {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"}, where
    for name, prop in schema.get("properties", {}).items():
        _gemini_ok(prop, f"{where}.{name}")
    if "items" in schema:
        _gemini_ok(schema["items"], f"{where}[]")


def _strict_ok(schema: dict, where: str) -> None:
    assert "default" not in schema, where
    if "object" in (schema["type"] if isinstance(schema["type"], list) else [schema["type"]]):
        assert schema["additionalProperties"] is False, where
        assert sorted(schema["required"]) == sorted(schema["properties"]), f"{where}: every property required"
        for name, prop in schema["properties"].items():
            _strict_ok(prop, f"{where}.{name}")


def test_every_catalog_tool_in_every_format(client):
    definitions = [t.definition for t in client.actions.list_tools(page_size=1000).tools]
    assert definitions
    for fmt in FORMATS:
        converted = client.actions.tools.format_tools(definitions, fmt)
        assert len(converted) == len(definitions)
        for d, c in zip(definitions, converted):
            if fmt == "anthropic":
                assert c == {"name": d["name"], "description": d["description"], "input_schema": d["input_schema"]}
            elif fmt == "openai":
                assert c["type"] == "function" and c["function"]["parameters"] == d["input_schema"]
            elif fmt == "openai_responses":
                assert c["type"] == "function" and c["name"] == d["name"] and "function" not in c
            elif fmt == "openai_strict":
                assert c["function"]["strict"] is True
                _strict_ok(c["function"]["parameters"], d["name"])
            elif fmt == "gemini":
                _gemini_ok(c["parameters"], d["name"])
            else:
                assert c["parameters"] == d["input_schema"]
    with pytest.raises(ValueError):
        client.actions.tools.format_tools(definitions, "cobol")
