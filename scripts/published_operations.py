#!/usr/bin/env python3
"""Facts of the published AgentKit API reference, for `server/tests/published_spec.rs`.

Reads the reference OpenAPI YAML (default `../shared/reference/agentkit-openapi.yaml`, which CI
does not have) and writes `tests/fixtures/published_operations.json`: for each operation its
method, path, operationId, query and path parameter names, and the top-level property names of
its JSON request body and of its success response. Facts only: no descriptions are copied.

    python3 scripts/published_operations.py [REFERENCE.yaml] > tests/fixtures/published_operations.json
"""

import json
import sys
from pathlib import Path

import yaml

METHODS = ("get", "put", "post", "delete", "patch")


def follow(doc, node):
    """A `$ref` of this document, followed until it is not one."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def property_names(doc, schema):
    """Top-level property names of a schema (its `allOf` parts merged)."""
    schema = follow(doc, schema or {})
    names = list(schema.get("properties", {}).keys())
    for part in schema.get("allOf", []):
        names += [n for n in property_names(doc, part) if n not in names]
    return sorted(names)


def json_schema(doc, holder):
    holder = follow(doc, holder or {})
    return holder.get("content", {}).get("application/json", {}).get("schema")


def operations(doc):
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [follow(doc, p) for p in shared + op.get("parameters", [])]
            success = next((op["responses"][s] for s in ("200", "201") if s in op.get("responses", {})), None)
            body = json_schema(doc, op.get("requestBody"))
            yield {
                "method": method,
                "path": path,
                "operation_id": op.get("operationId", ""),
                "path_parameters": sorted(p["name"] for p in params if p.get("in") == "path"),
                "query_parameters": sorted(p["name"] for p in params if p.get("in") == "query"),
                "request_properties": property_names(doc, body) if body is not None else None,
                "response_properties": property_names(doc, json_schema(doc, success)),
            }


def main():
    default = Path(__file__).resolve().parents[2] / "shared" / "reference" / "agentkit-openapi.yaml"
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    doc = yaml.safe_load(source.read_text())
    ops = sorted(operations(doc), key=lambda o: (o["path"], o["method"]))
    json.dump({"source": "agentkit-openapi.yaml (published AgentKit API reference)", "operations": ops},
              sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
