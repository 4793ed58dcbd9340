"""What the gateway tells its operators, checked from outside: request ids end to end (the SDK
sends one per call, the gateway keeps it, answers with it, logs it and stamps it on the execution
record; SDK errors expose it) and JSON log lines, one per request, with the route template and no
secret."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

import scalekit.client
from scalekit.common.exceptions import ScalekitNotFoundException

from gateway import DevGateway, api_token

SECRET_CANARY = "ya29.observability-canary-SECRET"


@pytest.fixture(scope="module")
def json_gateway():
    """`agentkit dev` writing JSON log lines."""
    gateway = DevGateway(env={"AGENTKIT_LOG_FORMAT": "json"})
    yield gateway
    gateway.stop()


def _client(gateway):
    env = gateway.env
    return scalekit.client.ScalekitClient(env_url=env["SCALEKIT_ENV_URL"], client_id=env["SCALEKIT_CLIENT_ID"],
                                          client_secret=env["SCALEKIT_CLIENT_SECRET"])


def _log_lines(gateway):
    return [json.loads(line) for line in gateway.log_text().splitlines() if line.strip()]


def _request_lines(gateway, request_id=None):
    """The gateway's per-request lines (waiting briefly for the one of `request_id`: a writer
    thread writes them)."""
    import time

    for _ in range(100):
        lines = [line for line in _log_lines(gateway) if line.get("target") == "agentkit::request"]
        if request_id is None or any(line["request_id"] == request_id for line in lines):
            return lines
        time.sleep(0.02)
    return lines


def test_request_ids_reach_the_caller_the_log_and_the_execution_record(json_gateway):
    client, env = _client(json_gateway), json_gateway.env
    with pytest.raises(ScalekitNotFoundException) as missing:
        client.actions.get_connected_account(connection_name="gmail", identifier=f"nobody-{uuid.uuid4().hex[:6]}")
    request_id = missing.value.request_id
    assert request_id and request_id.startswith("req_"), "the SDK named its call and the error carries the id"
    [line] = [line for line in _request_lines(json_gateway, request_id) if line["request_id"] == request_id]
    assert (line["status"], line["method"], line["client_id"]) == (404, "GET", env["SCALEKIT_CLIENT_ID"])
    assert line["route"] == "/api/v1/connected_accounts/auth"

    # A caller's own id is kept: answered in the header and the error body, stamped on the record.
    user = f"rid-{uuid.uuid4().hex[:6]}"
    link = client.actions.get_authorization_link(connection_name="gmail", identifier=user).link
    urllib.request.urlopen(link).read()
    token = api_token(env)
    call = urllib.request.Request(
        env["SCALEKIT_ENV_URL"] + "/api/v1/execute_tool", method="POST",
        data=json.dumps({"tool_name": "gmail_list_labels", "identifier": user, "params": {}}).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json", "x-request-id": "caller-trace-42"})
    answer = urllib.request.urlopen(call)
    assert answer.headers["x-request-id"] == "caller-trace-42"
    records = json.load(urllib.request.urlopen(urllib.request.Request(
        env["SCALEKIT_ENV_URL"] + f"/api/v1/executions?identifier={user}", headers={"authorization": f"Bearer {token}"})))
    assert [r["request_id"] for r in records["executions"]] == ["caller-trace-42"]

    # An id that could forge a log line is replaced, not echoed.
    bad = urllib.request.Request(env["SCALEKIT_ENV_URL"] + "/api/v1/tools", headers={
        "authorization": f"Bearer {token}", "x-request-id": 'x" level="ERROR'})
    assert urllib.request.urlopen(bad).headers["x-request-id"].startswith("req_")


def test_json_logs_one_line_per_request_with_route_templates_and_no_secret(json_gateway):
    client, env = _client(json_gateway), json_gateway.env
    user = f"logs-{uuid.uuid4().hex[:6]}"
    client.actions.create_connected_account(connection_name="gmail", identifier=user, authorization_details={
        "oauth_token": {"access_token": SECRET_CANARY, "refresh_token": SECRET_CANARY + "-refresh"}})
    with pytest.raises(Exception):
        client.actions.execute_tool(tool_name="gmail_list_labels", identifier=user, tool_input={})
    config = f"logs-{uuid.uuid4().hex[:6]}"
    client.actions.mcp.create_config(name=config, connection_tool_mappings=[{"connection_name": "gmail", "tools": ["gmail_list_labels"]}])
    instance_url = client.actions.mcp.ensure_instance(config_name=config, user_identifier=user).instance.url
    try:
        urllib.request.urlopen(urllib.request.Request(instance_url, data=b"{}", headers={"content-type": "application/json", "x-request-id": "py-last"}))
    except urllib.error.HTTPError:
        pass

    lines = _log_lines(json_gateway)
    assert lines and all(isinstance(line, dict) for line in lines), "every line is one JSON object"
    requests = _request_lines(json_gateway, "py-last")
    routes = {line["route"] for line in requests}
    assert {"/oauth/token", "/api/v1/connected_accounts", "/api/v1/execute_tool", "/mcp/v1/{key}"} <= routes
    instance_key = instance_url.rstrip("/").rsplit("/", 1)[-1]
    text = json_gateway.log_text()
    assert instance_key not in text, "an MCP URL's key (a bearer secret) is never logged"
    for secret in (SECRET_CANARY, env["SCALEKIT_CLIENT_SECRET"], api_token(env)):
        assert secret not in text
    for line in requests:
        assert set(line) >= {"method", "route", "status", "latency_ms", "client_id", "request_id"}
        assert line["latency_ms"] >= 0


def test_quiet_routes_and_sampled_execution_records_cut_what_a_successful_call_writes():
    """The operator's knobs for the hot path, set through the environment layer of the config:
    `[logging] quiet_routes` drops successful requests' lines to debug, and
    `[bookkeeping] successful_execution_sample = 0` keeps only failed calls' records."""
    gateway = DevGateway(env={
        "AGENTKIT_LOG_FORMAT": "json",
        "AGENTKIT_LOGGING__QUIET_ROUTES": '["/api/v1/execute_tool"]',
        "AGENTKIT_BOOKKEEPING__SUCCESSFUL_EXECUTION_SAMPLE": "0",
    })
    try:
        client, env = _client(gateway), gateway.env
        good, bad = f"quiet-{uuid.uuid4().hex[:6]}", f"quiet-bad-{uuid.uuid4().hex[:6]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=good).link).read()
        for _ in range(3):
            assert client.actions.execute_tool(tool_name="gmail_list_labels", identifier=good, tool_input={}).data["labels"]
        client.actions.create_connected_account(connection_name="gmail", identifier=bad, authorization_details={
            "oauth_token": {"access_token": "not-a-token"}})
        with pytest.raises(Exception):
            client.actions.execute_tool(tool_name="gmail_list_labels", identifier=bad, tool_input={})
        client.actions.list_connected_accounts(connection_name="gmail", identifier=good)  # a route left loud

        token = api_token(env)

        def executions(user):
            url = env["SCALEKIT_ENV_URL"] + f"/api/v1/executions?identifier={user}"
            return json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})))["executions"]

        assert executions(good) == [], "no successful call's record is kept"
        assert [r["status"] for r in executions(bad)] == ["FAILED"], "a failed call's record always is"
        lines = _request_lines(gateway, None)
        at_info = [(line["route"], line["status"]) for line in lines if line["level"] == "INFO"]
        assert [status for route, status in at_info if route == "/api/v1/execute_tool"] == [401], \
            "successful calls are logged at debug, the failed one at info"
        assert ("/api/v1/connected_accounts", 200) in at_info, "other routes still log at info"
    finally:
        gateway.stop()


def _scrape(url):
    """`/metrics` through prometheus_client's own text parser: {(name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(url).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return text, samples


def _value(samples, name, **labels):
    matching = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    return sum(matching)


def test_metrics_count_a_scripted_workload_exactly():
    gateway = DevGateway()
    try:
        env = gateway.env
        metrics_url = env["AGENTKIT_METRICS_URL"]
        assert metrics_url.endswith("/metrics") and metrics_url != env["SCALEKIT_ENV_URL"] + "/metrics"
        public = urllib.request.Request(env["SCALEKIT_ENV_URL"] + "/metrics")
        with pytest.raises(urllib.error.HTTPError) as not_public:
            urllib.request.urlopen(public)
        assert not_public.value.code == 404, "metrics are not on the public port"

        client = _client(gateway)
        user, expired = f"m-{uuid.uuid4().hex[:6]}", f"m-exp-{uuid.uuid4().hex[:6]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
        for _ in range(3):
            client.actions.execute_tool(tool_name="gmail_list_labels", identifier=user, tool_input={})
        client.actions.create_connected_account(connection_name="gmail", identifier=expired, authorization_details={
            "oauth_token": {"access_token": SECRET_CANARY, "refresh_token": SECRET_CANARY + "-refresh"}})
        with pytest.raises(Exception):
            client.actions.execute_tool(tool_name="gmail_list_labels", identifier=expired, tool_input={})

        text, samples = _scrape(metrics_url)
        tool = {"gen_ai_tool_name": "gmail_list_labels", "agentkit_connector": "gmail"}
        assert _value(samples, "agentkit_tool_execution_duration_seconds_count", outcome="SUCCESS", **tool) == 3
        assert _value(samples, "agentkit_tool_execution_duration_seconds_count", outcome="FAILED", **tool) == 1
        route = {"http_route": "/api/v1/execute_tool", "http_request_method": "POST"}
        assert _value(samples, "http_server_request_duration_seconds_count", http_response_status_code="200", **route) == 3
        assert _value(samples, "http_server_request_duration_seconds_count", http_response_status_code="400", **route) == 1
        upstream = "http_client_request_duration_seconds_count"
        assert _value(samples, upstream, agentkit_connector="gmail", http_response_status_class="2xx") == 3
        assert _value(samples, upstream, agentkit_connector="gmail", http_response_status_class="4xx") == 1
        assert _value(samples, "agentkit_token_refreshes_total", agentkit_connector="gmail", outcome="rejected") == 1
        assert _value(samples, "agentkit_token_refreshes_total", outcome="succeeded") == 0
        assert _value(samples, "agentkit_connected_accounts", status="ACTIVE") == 1
        assert _value(samples, "agentkit_connected_accounts", status="EXPIRED") == 1
        assert _value(samples, "agentkit_build_info") == 1
        assert SECRET_CANARY not in text and env["SCALEKIT_CLIENT_SECRET"] not in text and user not in text
        # MCP: one Streamable HTTP session at 2025-11-25 listing and calling once.
        import asyncio

        from mcp import ClientSession
        from mcp.client.streamable_http import streamablehttp_client

        config = f"m-{uuid.uuid4().hex[:6]}"
        client.actions.mcp.create_config(name=config, connection_tool_mappings=[{"connection_name": "gmail", "tools": ["gmail_list_labels"]}])
        url = client.actions.mcp.ensure_instance(config_name=config, user_identifier=user).instance.url

        async def session():
            async with streamablehttp_client(url) as (read, write, _):
                async with ClientSession(read, write) as mcp:
                    await mcp.initialize()
                    await mcp.list_tools()
                    await mcp.call_tool("gmail_list_labels", {})

        asyncio.run(session())
        _, samples = _scrape(metrics_url)
        version = {"mcp_protocol_version": "2025-11-25"}
        assert _value(samples, "agentkit_mcp_sessions_total", **version) == 1
        for method in ("initialize", "tools/list", "tools/call"):
            assert _value(samples, "mcp_server_operation_duration_seconds_count", mcp_method_name=method, **version) == 1, method
        assert _value(samples, "agentkit_tool_execution_duration_seconds_count", outcome="SUCCESS", **tool) == 4
        # An egress refusal: a custom provider pointed at the cloud metadata address.
        with pytest.raises(Exception):
            client.actions.providers.create_custom_provider(display_name="Metadata", proxy_url="http://169.254.169.254/latest",
                                                            auth_patterns=[{"type": "BEARER"}])
        text, samples = _scrape(metrics_url)
        assert _value(samples, "agentkit_egress_refusals_total") == 1
        # The shipped Grafana dashboard asks only for metrics the gateway serves.
        import re
        from pathlib import Path

        dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json").read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                for name in re.findall(r"\b(?:http|agentkit|mcp)_[a-z_]+", re.sub(r"by \([^)]*\)", "", target["expr"])):
                    if name == "agentkit_rate_limit_refusals_total":
                        continue  # no connector of `agentkit dev` has a rate limit to hit
                    assert f"# TYPE {re.sub(r'_(count|bucket|sum)$', '', name)} " in text, (panel["title"], name)

    finally:
        gateway.stop()


def test_trigger_metrics_count_polls_events_deliveries_and_refused_pushes():
    """A subscription polled every second, one mail that becomes one event delivered to the
    app's receiver, one forged push: each is counted, read through prometheus_client's parser."""
    import http.server
    import threading
    import time

    gateway = DevGateway()
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = gateway.env
        token = api_token(env)

        def call(method, path, body=None):
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(env["SCALEKIT_ENV_URL"] + path, data=data, method=method,
                                             headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
            try:
                with urllib.request.urlopen(request) as answer:
                    return answer.status, json.load(answer)
            except urllib.error.HTTPError as refused:
                return refused.code, json.load(refused)

        hook = f"http://127.0.0.1:{server.server_port}/events"
        assert call("POST", "/api/v1/webhook_endpoints", {"url": hook, "events": ["trigger.*"]})[0] == 201
        client = _client(gateway)
        user = f"t-{uuid.uuid4().hex[:6]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
        account = client.actions.get_connected_account(connection_name="gmail", identifier=user).connected_account
        status, _ = call("POST", "/api/v1/connections/gmail/trigger-subscriptions",
                         {"connected_account_id": account.id, "trigger_name": "gmail_new_message", "interval_seconds": 1})
        assert status == 200
        time.sleep(2.5)  # a first poll and at least one more
        deliver = urllib.request.Request(env["AGENTKIT_SANDBOX_URL"] + "/sandbox/deliver",
                                         data=json.dumps({"user": user}).encode(), headers={"content-type": "application/json"})
        urllib.request.urlopen(deliver).read()
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(received) == 1 and received[0]["type"] == "trigger.gmail_new_message"
        # A forged push to a GitHub connection's ingress URL.
        status, _ = call("POST", "/api/v1/connections", {"name": "github", "connector": "github"})
        assert status == 201
        status, ingress = call("POST", "/api/v1/connections/github/trigger-ingress")
        assert status == 200
        assert call("PUT", "/api/v1/connections/github/trigger-ingress/signing-secret", {"signing_secret": "s" * 20})[0] == 200
        forged = urllib.request.Request(ingress["url"], data=b'{"zen": "x"}', method="POST",
                                        headers={"x-hub-signature-256": "sha256=" + "0" * 64, "x-github-event": "ping"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged)
        assert refused.value.code == 401

        text, samples = _scrape(env["AGENTKIT_METRICS_URL"])
        trigger = {"agentkit_trigger": "gmail_new_message"}
        assert _value(samples, "agentkit_trigger_polls_total", outcome="ok", **trigger) >= 3
        assert _value(samples, "agentkit_trigger_polls_total", outcome="failed", **trigger) == 0
        assert _value(samples, "agentkit_trigger_events_total", **trigger) == 1
        assert _value(samples, "agentkit_trigger_poll_lag_seconds_count", **trigger) >= 3
        assert _value(samples, "agentkit_trigger_poll_duration_seconds_count", **trigger) >= 3
        assert _value(samples, "agentkit_webhook_deliveries_total", event_kind="trigger", outcome="delivered") == 1
        assert _value(samples, "agentkit_trigger_pushes_total", agentkit_connection="github", outcome="forged") == 1
        assert user not in text and "s" * 20 not in text
    finally:
        server.shutdown()
        gateway.stop()


class _OtlpReceiver:
    """An OTLP/HTTP trace receiver: decodes each export with the official protobuf definitions
    (opentelemetry-proto) and keeps the spans."""

    def __init__(self):
        import http.server
        import threading

        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        spans = self.spans = []
        self.resources = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource_spans in request.resource_spans:
                    receiver.resources.append(resource_spans.resource)
                    for scope_spans in resource_spans.scope_spans:
                        spans.extend(scope_spans.spans)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def wait_for(self, predicate, timeout=10.0):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.spans):
                return self.spans
            time.sleep(0.05)
        return self.spans


def test_traces_of_one_tool_call_reach_an_otlp_receiver_continuing_the_callers_trace():
    receiver = _OtlpReceiver()
    gateway = DevGateway(env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                              "OTEL_SERVICE_NAME": "agentkit-under-test", "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        env = gateway.env
        client = _client(gateway)
        user = f"trace-{uuid.uuid4().hex[:6]}"
        urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
        trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        token = api_token(env)
        call = urllib.request.Request(
            env["SCALEKIT_ENV_URL"] + "/api/v1/execute_tool", method="POST",
            data=json.dumps({"tool_name": "gmail_list_labels", "identifier": user, "params": {}}).encode(),
            headers={"authorization": f"Bearer {token}", "content-type": "application/json",
                     "traceparent": f"00-{trace_id}-{parent_id}-01"})
        urllib.request.urlopen(call).read()

        def of_the_call(spans):
            return [s for s in spans if s.trace_id.hex() == trace_id]

        spans = of_the_call(receiver.wait_for(lambda all_spans: len(of_the_call(all_spans)) >= 3))
        by_name = {s.name: s for s in spans}
        assert {"POST /api/v1/execute_tool", "execute_tool gmail_list_labels", "GET"} <= set(by_name), sorted(by_name)
        request, execution, provider = by_name["POST /api/v1/execute_tool"], by_name["execute_tool gmail_list_labels"], by_name["GET"]
        assert request.parent_span_id.hex() == parent_id, "the gateway's span continues the caller's"
        assert execution.parent_span_id == request.span_id
        assert provider.parent_span_id == execution.span_id, "the provider call is a child of the execution"
        from opentelemetry.proto.trace.v1.trace_pb2 import Span

        assert (request.kind, provider.kind) == (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT)
        attributes = {a.key: a.value.string_value or a.value.int_value for a in provider.attributes}
        assert attributes["http.response.status_code"] == 200 and attributes["agentkit.connector"] == "gmail"
        services = {a.value.string_value for r in receiver.resources for a in r.attributes if a.key == "service.name"}
        assert services == {"agentkit-under-test"}

        # MCP: a trace context in `_meta` is continued by the MCP request's span.
        config = f"t-{uuid.uuid4().hex[:6]}"
        client.actions.mcp.create_config(name=config, connection_tool_mappings=[{"connection_name": "gmail", "tools": ["gmail_list_labels"]}])
        url = client.actions.mcp.ensure_instance(config_name=config, user_identifier=user).instance.url
        mcp_trace = "0af7651916cd43dd8448eb211c80319c"
        meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
                "traceparent": f"00-{mcp_trace}-b7ad6b7169203331-01"}
        urllib.request.urlopen(urllib.request.Request(url, method="POST", data=json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "gmail_list_labels", "arguments": {}, "_meta": meta}}).encode(),
            headers={"content-type": "application/json", "accept": "application/json, text/event-stream",
                     "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "gmail_list_labels"})).read()
        spans = receiver.wait_for(lambda all_spans: any(s.trace_id.hex() == mcp_trace and s.name == "GET" for s in all_spans))
        names = {s.name for s in spans if s.trace_id.hex() == mcp_trace}
        assert {"tools/call", "execute_tool gmail_list_labels", "GET"} <= names, names

        # No secret in any span: tokens, client secret, the MCP URL's key.
        exported = " ".join(str(s) for s in receiver.spans)
        for secret in (token, env["SCALEKIT_CLIENT_SECRET"], url.rsplit("/", 1)[-1]):
            assert secret not in exported
    finally:
        gateway.stop()
        receiver.server.shutdown()


def _admin_get(env, path):
    request = urllib.request.Request(env["SCALEKIT_ENV_URL"] + path, headers={"authorization": f"Bearer {api_token(env)}"})
    return urllib.request.urlopen(request)


def test_the_audit_trail_holds_exactly_the_events_of_a_scripted_session():
    gateway = DevGateway()
    try:
        env, client = gateway.env, _client(gateway)
        client_id = env["SCALEKIT_CLIENT_ID"]
        bad = urllib.request.Request(env["SCALEKIT_ENV_URL"] + "/oauth/token",
                                     data=f"grant_type=client_credentials&client_id={client_id}&client_secret=wrong".encode())
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(bad)
        stored = f"a-stored-{uuid.uuid4().hex[:6]}"
        created = client.actions.create_connected_account(connection_name="gmail", identifier=stored, authorization_details={
            "oauth_token": {"access_token": SECRET_CANARY, "refresh_token": SECRET_CANARY + "-r"}}).connected_account
        linked = f"a-linked-{uuid.uuid4().hex[:6]}"
        link = client.actions.get_authorization_link(connection_name="gmail", identifier=linked).link
        urllib.request.urlopen(link).read()
        client.actions.get_connected_account(connection_name="gmail", identifier=stored)
        client.actions.update_connected_account(connection_name="gmail", identifier=stored, authorization_details={
            "oauth_token": {"access_token": SECRET_CANARY + "-2", "refresh_token": SECRET_CANARY + "-r2"}})
        client.actions.delete_connected_account(connection_name="gmail", identifier=stored)
        config = f"a-{uuid.uuid4().hex[:6]}"
        client.actions.mcp.create_config(name=config, connection_tool_mappings=[{"connection_name": "gmail", "tools": ["gmail_list_labels"]}])
        config_id = next(c.id for c in client.actions.mcp.list_configs().configs if c.name == config)
        client.actions.mcp.delete_config(config_id=config_id)
        with pytest.raises(Exception):
            client.actions.providers.create_custom_provider(display_name="Metadata", proxy_url="http://169.254.169.254/latest",
                                                            auth_patterns=[{"type": "BEARER"}])
        forged = urllib.request.Request(env["SCALEKIT_ENV_URL"] + "/api/v1/tools", headers={"authorization": "Bearer not-a-token"})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(forged)

        # Details without credentials: not a credential read.
        linked_id = client.actions.get_connected_account_details(connection_name="gmail", identifier=linked).connected_account.id
        events = json.load(_admin_get(env, "/api/v1/audit?page_size=1000"))["events"][::-1]
        # First, the dev environment's own console operator, made as it starts (no request).
        setup, events = events[0], events[1:]
        assert (setup["action"], setup["target"], setup["actor"]) == ("console.operator_set", "dev", "dev"), setup
        got = [(e["action"], e["target"], e["outcome"]) for e in events]
        assert got == [
            ("api_client.authentication_failed", client_id, "refused"),
            ("connected_account.created", created.id, "success"),
            ("connected_account.created", linked_id, "success"),
            ("authorization_link.issued", linked_id, "success"),
            ("authorization_link.completed", linked_id, "success"),
            ("connected_account.status_changed", linked_id, "success"),
            ("connected_account.credentials_read", created.id, "success"),
            ("connected_account.updated", created.id, "success"),
            ("connected_account.deleted", created.id, "success"),
            ("mcp_config.created", config_id, "success"),
            ("mcp_config.deleted", config_id, "success"),
            ("egress.refused", "169.254.169.254", "refused"),
            ("api_client.authentication_failed", "", "refused"),
        ], got
        assert {e["actor"] for e in events[1:4] + events[6:12]} == {client_id}
        assert events[4]["actor"] == "system", "the user's browser completes the link, not an API client"
        assert events[5]["details"]["from"] == "PENDING_AUTH" and events[5]["details"]["to"] == "ACTIVE"
        assert all(e["request_id"] for e in events), "every event names the request it happened in"
        assert events[2]["request_id"] == events[3]["request_id"] and events[4]["request_id"] == events[5]["request_id"]
        assert len({e["request_id"] for e in events}) == len(events) - 2
        text = json.dumps(events)
        assert SECRET_CANARY not in text and env["SCALEKIT_CLIENT_SECRET"] not in text

        # Filters, paging and the JSON-lines export.
        only = json.load(_admin_get(env, f"/api/v1/audit?action=connected_account.created&target={linked_id}"))["events"]
        assert [e["target"] for e in only] == [linked_id]
        first = json.load(_admin_get(env, "/api/v1/audit?page_size=5"))
        second = json.load(_admin_get(env, f"/api/v1/audit?page_size=5&page_token={first['next_page_token']}"))
        assert [e["id"] for e in first["events"] + second["events"]] == [e["id"] for e in events[::-1][:10]]
        exported = _admin_get(env, "/api/v1/audit?format=jsonl")
        assert exported.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in exported.read().decode().splitlines()]
        assert [e["id"] for e in lines] == [e["id"] for e in events[::-1]] + [setup["id"]]
        with pytest.raises(urllib.error.HTTPError) as wrong:
            _admin_get(env, "/api/v1/audit?since=yesterday")
        assert wrong.value.code == 400 and "since" in wrong.value.read().decode()
    finally:
        gateway.stop()


def test_the_gateways_request_id_is_not_forwarded_to_providers(json_gateway):
    client = _client(json_gateway)
    user = f"fwd-{uuid.uuid4().hex[:6]}"
    urllib.request.urlopen(client.actions.get_authorization_link(connection_name="gmail", identifier=user).link).read()
    echoed = client.actions.request(connection_name="gmail", identifier=user, path="/sandbox/echo",
                                    headers={"x-custom-trace": "kept"})
    assert echoed.status_code == 200, echoed.text
    headers = echoed.json()["headers"]
    assert headers.get("x-custom-trace") == "kept", "the caller's own x- headers still go through"
    assert "x-request-id" not in headers, "the SDK→gateway request id stays between SDK and gateway"
