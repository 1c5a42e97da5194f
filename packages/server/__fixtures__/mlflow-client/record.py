"""Records MLflow's own `http` deployments client talking to `berth serve`, for a CI test that
holds the same wire shapes (test/mlflow-client-wire.test.ts) without Python.

Run from the repository, after `pnpm turbo run build`, with a Python that has MLflow 3.6 (build one
offline with shared/tools/mlflow-venv.sh):

    VENV/bin/python packages/server/__fixtures__/mlflow-client/record.py

It starts serve.mjs (this package's server in front of a real `local` target serving the bundled
iris model, MLflow's list page size lowered to 2; deployments iris and iris-b, endpoint front), puts
a recording pass-through proxy on 127.0.0.1 in front of it, and points
`mlflow.deployments.get_deploy_client(<proxy>)` at the proxy. For every call it writes what MLflow's
client sent and what the server answered to exchanges.json (request method, path, the headers
MLflow sent, JSON body; answer status, content type, body), and what the client returned (or
raised) to mlflow-client.json. Tokens become TOKEN_WRITE / TOKEN_READ, the server's address BASE and
the model's directory MODEL_URI.

Never a test dependency: the test replays exchanges.json against a live server.
"""

import base64
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent.parent

IRIS_INPUT = {
    "dataframe_split": {
        "columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
        "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]],
    }
}
# MLflow's client sends a request header of its own choosing; those that vary by machine or by run
# are not kept (they do not change what the server answers).
DROPPED_HEADERS = {"host", "content-length", "connection", "user-agent", "accept-encoding"}

exchanges = []
current_call = {"name": None}
settings = {}


def scrub(text: str) -> str:
    text = text.replace(settings["writeToken"], "TOKEN_WRITE").replace(settings["readToken"], "TOKEN_READ")
    for address in (settings["url"], settings["proxy"]):
        text = re.sub(re.escape(address) + r"(?!\d)", "BASE", text)
    return text.replace(settings["modelUri"], "MODEL_URI")


def scrub_authorization(value: str) -> str:
    if value.startswith("Basic "):
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return f"Basic {scrub(user)}:{scrub(password)}"
    return scrub(value)


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        request = urllib.request.Request(settings["url"] + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                status, answer_headers, answer_body = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, answer_body = error.code, error.headers, error.read()
        kept = {}
        for name, value in self.headers.items():
            if name.lower() in DROPPED_HEADERS:
                continue
            kept[name.lower()] = scrub_authorization(value) if name.lower() == "authorization" else scrub(value)
        content_type = answer_headers.get("content-type", "")
        text = answer_body.decode()
        exchanges.append(
            {
                "call": current_call["name"],
                "request": {
                    "method": self.command,
                    "path": scrub(self.path),
                    "headers": kept,
                    "body": json.loads(scrub(body.decode())) if body else None,
                },
                "response": {
                    "status": status,
                    "contentType": content_type,
                    "body": json.loads(scrub(text)) if "json" in content_type else scrub(text),
                },
            }
        )
        self.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "keep-alive"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(answer_body)))
        self.end_headers()
        self.wfile.write(answer_body)

    do_GET = relay
    do_POST = relay


def plain(value):
    """What the client returned, as JSON (pydantic models as their dicts)."""
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    server = subprocess.Popen(["node", str(HERE / "serve.mjs")], cwd=PACKAGE, stdout=subprocess.PIPE, text=True)
    try:
        settings.update(json.loads(server.stdout.readline()))
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        settings["proxy"] = f"http://127.0.0.1:{proxy.server_address[1]}"

        import mlflow
        from mlflow.deployments import get_deploy_client

        for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            os.environ.pop(name, None)
        os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
        client = get_deploy_client(settings["proxy"])
        results = {"recordedWith": f"mlflow {mlflow.__version__}", "client": type(client).__name__, "calls": {}}

        def call(name, function, credentials):
            for variable in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
                os.environ.pop(variable, None)
            os.environ.update(credentials)
            current_call["name"] = name
            try:
                results["calls"][name] = {"returned": json.loads(scrub(json.dumps(plain(function()))))}
            except Exception as error:  # noqa: BLE001 - what MLflow raises is the record
                results["calls"][name] = {"raised": type(error).__name__, "message": scrub(str(error))}

        write = {"MLFLOW_TRACKING_TOKEN": settings["writeToken"]}
        read = {"MLFLOW_TRACKING_TOKEN": settings["readToken"]}
        basic = {"MLFLOW_TRACKING_USERNAME": "anyone", "MLFLOW_TRACKING_PASSWORD": settings["readToken"]}
        call("list_endpoints", client.list_endpoints, write)
        call("get_endpoint iris", lambda: client.get_endpoint("iris"), write)
        call("get_endpoint front", lambda: client.get_endpoint("front"), read)
        call("predict iris", lambda: client.predict(endpoint="iris", inputs=IRIS_INPUT), write)
        call("predict front", lambda: client.predict(endpoint="front", inputs=IRIS_INPUT), read)
        records = {"dataframe_records": [dict(zip(IRIS_INPUT["dataframe_split"]["columns"], IRIS_INPUT["dataframe_split"]["data"][0]))]}
        call("predict iris records", lambda: client.predict(endpoint="iris", inputs=records), read)
        call("list_endpoints basic auth", client.list_endpoints, basic)
        call("get_endpoint unknown", lambda: client.get_endpoint("nope"), write)
        bad = {"dataframe_split": {"columns": ["a"], "data": [[1]]}}
        call("predict bad input", lambda: client.predict(endpoint="iris", inputs=bad), write)
        call("predict unknown", lambda: client.predict(endpoint="nope", inputs=IRIS_INPUT), write)
        call("list_endpoints no token", client.list_endpoints, {})
        call("list_endpoints wrong token", client.list_endpoints, {"MLFLOW_TRACKING_TOKEN": "x" * 32})
        call("create_endpoint", lambda: client.create_endpoint("x"), write)
        proxy.shutdown()
    finally:
        server.terminate()
        server.wait(timeout=120)

    (HERE / "exchanges.json").write_text(json.dumps(exchanges, indent=2) + "\n")
    (HERE / "mlflow-client.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"recorded {len(exchanges)} exchanges and {len(results['calls'])} calls with {results['recordedWith']}")


if __name__ == "__main__":
    sys.exit(main())
