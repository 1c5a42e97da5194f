"""Records what a real MLflow AI Gateway answers, for target-http's MLflow-mode tests.

Run with a Python that has MLflow 3.6 (build one offline with shared/tools/mlflow-venv.sh):

    VENV/bin/python packages/target-http/__fixtures__/mlflow-gateway/record.py

It starts, on 127.0.0.1:
  * a stand-in for the OpenAI API (the gateway's upstream; canned answers, streamed as OpenAI does),
  * MLflow's own gateway app (mlflow.gateway.app.create_app_from_config) under uvicorn, with three
    endpoints and the list page size lowered from 3000 to 2, so that pagination shows with three
    endpoints (the only change to MLflow's code path);
then sends the requests below and writes every exchange (request, status, content type, body) to
exchanges.json, plus what MLflow's own `http` deployments client returns for the same calls to
mlflow-client.json. slowapi and limits (the gateway's rate limiter) are replaced by no-op stand-ins
when they are not installed: the recorded routes do not depend on them.

Never a test dependency: the tests replay exchanges.json.
"""

import json
import socket
import sys
import threading
import time
import types
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the upstream: a stand-in for the OpenAI API ------------------------------------------------

CHAT_ANSWER = {
    "id": "chatcmpl-fixture",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello from the fixture."}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
}


def chat_chunk(index, content, finish=None):
    return {
        "id": "chatcmpl-fixture",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": finish}],
    }


class Upstream(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.endswith("/chat/completions") and body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for i, (text, finish) in enumerate([("Hello", None), (" from", None), (" the fixture.", "stop")]):
                self.wfile.write(f"data: {json.dumps(chat_chunk(i, text, finish))}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            return
        if self.path.endswith("/chat/completions"):
            answer = CHAT_ANSWER
        elif self.path.endswith("/embeddings"):
            answer = {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 0.75]}],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 2, "total_tokens": 2},
            }
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# --- the gateway ----------------------------------------------------------------------------------


def stub_slowapi():
    try:
        import slowapi  # noqa: F401

        return
    except ImportError:
        pass

    class Limiter:
        def __init__(self, *args, **kwargs):
            pass

        def limit(self, *args, **kwargs):
            return lambda handler: handler

    class RateLimitExceeded(Exception):
        pass

    slowapi = types.ModuleType("slowapi")
    slowapi.Limiter = Limiter
    slowapi._rate_limit_exceeded_handler = lambda *args, **kwargs: None
    errors = types.ModuleType("slowapi.errors")
    errors.RateLimitExceeded = RateLimitExceeded
    util = types.ModuleType("slowapi.util")
    util.get_remote_address = lambda request: "127.0.0.1"
    sys.modules.update({"slowapi": slowapi, "slowapi.errors": errors, "slowapi.util": util})
    try:
        import limits  # noqa: F401
    except ImportError:
        # The config check parses "10/minute" with limits.parse; the stand-in accepts what it would.
        limits = types.ModuleType("limits")
        limits.parse = lambda text: text
        sys.modules["limits"] = limits


def start_gateway(upstream_port: int) -> int:
    stub_slowapi()
    import uvicorn

    import mlflow.gateway.app as gateway_app
    from mlflow.gateway.config import GatewayConfig

    gateway_app.MLFLOW_DEPLOYMENTS_LIST_ENDPOINTS_PAGE_SIZE = 2
    openai = {"openai_api_key": "fixture-key", "openai_api_base": f"http://127.0.0.1:{upstream_port}/v1"}
    config = GatewayConfig(
        endpoints=[
            {
                "name": "chat",
                "endpoint_type": "llm/v1/chat",
                "model": {"provider": "openai", "name": "gpt-4o-mini", "config": openai},
                "limit": {"renewal_period": "minute", "calls": 10},
            },
            {
                "name": "completions",
                "endpoint_type": "llm/v1/completions",
                "model": {"provider": "openai", "name": "gpt-3.5-turbo-instruct", "config": openai},
            },
            {
                "name": "embeddings",
                "endpoint_type": "llm/v1/embeddings",
                "model": {"provider": "openai", "name": "text-embedding-3-small", "config": openai},
            },
        ]
    )
    app = gateway_app.create_app_from_config(config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return port
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("the gateway did not start")


# --- recording ------------------------------------------------------------------------------------


def exchange(base, method, path, body=None, note=""):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content_type, text = response.status, response.headers.get("content-type"), response.read().decode()
    except urllib.error.HTTPError as error:
        status, content_type, text = error.code, error.headers.get("content-type"), error.read().decode()
    return {
        "note": note,
        "request": {"method": method, "path": path, "body": body},
        "response": {"status": status, "contentType": content_type, "body": text},
    }


def main():
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = start_gateway(upstream.server_address[1])
    base = f"http://127.0.0.1:{port}"

    first_page = exchange(base, "GET", "/api/2.0/endpoints/", note="first page (page size 2 of 3 endpoints)")
    token = json.loads(first_page["response"]["body"])["next_page_token"]
    chat_input = {"messages": [{"role": "user", "content": "Hello"}]}
    exchanges = [
        exchange(base, "GET", "/health", note="health"),
        first_page,
        exchange(base, "GET", f"/api/2.0/endpoints/?page_token={token}", note="second and last page"),
        exchange(base, "GET", "/api/2.0/endpoints/chat", note="one endpoint"),
        exchange(base, "GET", "/api/2.0/endpoints/nope", note="an unknown endpoint"),
        exchange(base, "POST", "/endpoints/chat/invocations", chat_input, note="chat prediction"),
        exchange(
            base,
            "POST",
            "/endpoints/chat/invocations",
            {**chat_input, "stream": True},
            note="chat prediction, streamed (SSE; the gateway sends no [DONE])",
        ),
        exchange(base, "POST", "/endpoints/embeddings/invocations", {"input": "hi"}, note="embeddings prediction"),
        exchange(base, "POST", "/endpoints/nope/invocations", chat_input, note="prediction on an unknown endpoint"),
        exchange(base, "POST", "/endpoints/chat/invocations", {"prompt": 1}, note="a payload the endpoint rejects"),
        exchange(base, "GET", "/api/berth/v1/server", note="Berth's detection route: absent on a gateway"),
        exchange(base, "POST", "/api/berth/v1/deployments", {"name": "x", "modelUri": "m"}, note="a Berth route"),
    ]
    (HERE / "exchanges.json").write_text(json.dumps({"recordedWith": mlflow_version(), "exchanges": exchanges}, indent=2) + "\n")

    from mlflow.deployments import get_deploy_client

    client = get_deploy_client(base)
    results = {
        "recordedWith": mlflow_version(),
        "baseUrlPlaceholder": "BASE",
        "list_endpoints": [e.model_dump() for e in client.list_endpoints()],
        "get_endpoint": client.get_endpoint("chat").model_dump(),
        "predict": client.predict(endpoint="chat", inputs=chat_input),
    }
    text = json.dumps(results, indent=2).replace(base, "BASE")
    (HERE / "mlflow-client.json").write_text(text + "\n")
    print(f"recorded {len(exchanges)} exchanges against {base}")


def mlflow_version():
    import mlflow

    return f"mlflow {mlflow.__version__}"


if __name__ == "__main__":
    main()
