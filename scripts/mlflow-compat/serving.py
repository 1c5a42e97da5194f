"""Issue 11's check (dev-only; never a test or CI step): the same requests sent to MLflow 3.6's own
scoring server (`mlflow models serve`, FastAPI + uvicorn) and to `berth-scoring-server`, both
serving the same MLflow-written model, for every model make-models.py wrote. Each answer is reduced
to (status, content type, Allow header, error_code or predictions); every pair that differs is
printed, and every request with both answers is written to OUT_DIR/answers.json (the recording
that packages/scoring-server/test/mlflow-recorded.test.ts replays against Berth in CI).

    python serving.py MODELS_DIR BERTH_REPO OUT_DIR [MODEL...]
"""
import base64
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time

models_dir, repo, out = sys.argv[1:4]
only = sys.argv[4:]
venv_bin = os.path.dirname(sys.executable)
env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", PATH=venv_bin + os.pathsep + os.environ["PATH"])
env.pop("NODE_EXTRA_CA_CERTS", None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, proc, log):
    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit(f"server exited; log {log}:\n" + open(log).read()[-2000:])
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/ping")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server on {port} did not answer /ping; log {log}")


def start(kind, model):
    port = free_port()
    log = os.path.join(out, f"{os.path.basename(model)}-{kind}.log")
    if kind == "mlflow":
        cmd = [os.path.join(venv_bin, "mlflow"), "models", "serve", "-m", model, "--env-manager", "local",
               "-h", "127.0.0.1", "-p", str(port), "-w", "1"]
    else:
        cmd = ["node", os.path.join(repo, "packages/scoring-server/dist/bin.js"), "-m", model, "-p", str(port), "-w", "1"]
    proc = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    wait_ping(port, proc, log)
    return proc, port


def send(port, method, path, headers, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    raw = r.read()
    answer = {"status": r.status, "type": r.getheader("content-type")}
    if r.getheader("allow"):
        answer["allow"] = ", ".join(sorted(m.strip() for m in r.getheader("allow").split(",")))
    if r.getheader("location"):
        answer["location"] = r.getheader("location")
    text = raw.decode("utf8", "replace")
    try:
        decoded = json.loads(text)  # Python's json reads MLflow's NaN/Infinity tokens
    except ValueError:
        answer["text"] = text[:200]
        return answer
    if isinstance(decoded, dict) and "error_code" in decoded:
        answer["error_code"] = decoded["error_code"]
        answer["message"] = str(decoded.get("message", ""))[:300]
        answer["stack_trace"] = "stack_trace" in decoded
    else:
        answer["body"] = decoded
    return answer


def close(a, b, tol=1e-5):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= tol * max(1.0, abs(a), abs(b))
    # Berth writes null where MLflow writes NaN/Infinity, which is not JSON (a listed difference)
    if a is None and isinstance(b, float) and not math.isfinite(b):
        return True
    if b is None and isinstance(a, float) and not math.isfinite(a):
        return True
    return a == b


def listed(name, label, headers, m, b):
    """The README's "Differences from MLflow" row this pair falls under, or None."""
    if label == "GET /nope" and m["status"] == b["status"] == 404:
        return "unknown route: error body"
    if label == "missing content type" and m["status"] == 500 and b["status"] == 415:
        return "missing Content-Type"
    if label == "invalid UTF-8" and m["status"] == 500 and b["status"] == 400:
        return "invalid UTF-8"
    if label in ('charset="utf-8"', "APPLICATION/JSON") and m["status"] == 415 and b["status"] == 200:
        return "content-type parameters RFC 9110 allows"
    if "tensor" in name and headers.get("Content-Type") == "text/csv" and m["status"] == 400:
        return "CSV to a tensor-signature model"
    if (name == "wine-columns" and m["status"] == 400 and "unexpected error while evaluating" in m.get("message", "")
            and b["status"] == 200):
        return "a column signature with a 2-D output (MLflow's ONNX flavor cannot build its DataFrame)"
    return None


def same(m, b):
    keys = ("status", "type", "allow", "error_code")
    if any(m.get(k) != b.get(k) for k in keys):
        return False
    return close(m.get("body"), b.get("body"))


J = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


def jbody(value):
    return json.dumps(value).encode()


def requests_for(name):
    """(label, method, path, headers, body) for one model."""
    rows = []
    add = lambda label, body, headers=J, method="POST", path="/invocations": rows.append((label, method, path, headers, body))
    # routes
    for path in ["/ping", "/health", "/version"]:
        add(f"GET {path}", None, {}, "GET", path)
    add("POST /ping", b"{}", J, "POST", "/ping")
    add("GET /invocations", None, {}, "GET", "/invocations")
    add("PUT /invocations", b"{}", J, "PUT", "/invocations")
    add("GET /nope", None, {}, "GET", "/nope")
    if name in ("wine-tensor", "wine-columns"):
        width = 13
        rows3 = [[round(0.1 * (i + 1) * (j - 6), 3) for j in range(width)] for i in range(3)]
        cols = [f"f{i}" for i in range(width)]
    elif name == "double-tensor":
        width, rows3, cols = 3, [[1.0, 2.0, 3.0], [-1.5, 0.0, 2.25], [1e6, -3.0, 0.5]], ["c0", "c1", "c2"]
    else:
        width, cols = 3, ["colour", "x", "n"]
        rows3 = [["red", 1.5, 3], ["blue", -2.0, 4], ["green", 0.25, -1]]
    split = {"columns": cols, "data": rows3}
    records = [dict(zip(cols, r)) for r in rows3]
    valid = {"dataframe_split": split}
    add("split", jbody(valid))
    add("split without columns", jbody({"dataframe_split": {"data": rows3}}))
    add("split with index", jbody({"dataframe_split": {**split, "index": [7, 8, 9]}}))
    add("records", jbody({"dataframe_records": records}))
    add("inputs list", jbody({"inputs": rows3}))
    add("instances list", jbody({"instances": rows3}))
    add("inputs dict of columns", jbody({"inputs": {c: [r[i] for r in rows3] for i, c in enumerate(cols)}}))
    add("instances records", jbody({"instances": records}))
    add("csv", ("\n".join([",".join(cols)] + [",".join(str(v) for v in r) for r in rows3]) + "\n").encode(), CSV)
    add("csv without header", ("\n".join(",".join(str(v) for v in r) for r in rows3) + "\n").encode(), CSV)
    add("POST /invocations/", jbody(valid), J, "POST", "/invocations/")
    add("BOM before JSON", b"\xef\xbb\xbf" + jbody(valid))
    add("BOM before CSV", b"\xef\xbb\xbf" + ",".join(cols).encode() + b"\n" + ",".join(str(v) for v in rows3[0]).encode() + b"\n", CSV)
    add("params list", jbody({**valid, "params": [1, 2]}))
    add("params string", jbody({**valid, "params": "x"}))
    add("params number", jbody({**valid, "params": 3}))
    add("params unknown key", jbody({**valid, "params": {"temperature": 0.5}}))
    add("inputs null", jbody({"inputs": None}))
    add("instances null", jbody({"instances": None}))
    add("split null", jbody({"dataframe_split": None}))
    add("malformed JSON", b'{"inputs": [[1, 2')
    add("JSON sent as CSV", jbody(valid), CSV)
    add("no input field", jbody({"data": rows3}))
    add("two input fields", jbody({"inputs": rows3, "instances": rows3}))
    add("a list body", jbody(rows3))
    add("missing content type", jbody(valid), {})
    add("content type text/plain", jbody(valid), {"Content-Type": "text/plain"})
    add('charset="utf-8"', jbody(valid), {"Content-Type": 'application/json; charset="utf-8"'})
    add("APPLICATION/JSON", jbody(valid), {"Content-Type": "APPLICATION/JSON"})
    add("charset=latin-1", jbody(valid), {"Content-Type": "application/json; charset=latin-1"})
    add("invalid UTF-8", b'{"inputs": [["\xff\xfe"]]}')
    add("ragged rows", jbody({"dataframe_split": {"columns": cols, "data": [rows3[0], rows3[1][:-1]]}}))
    add("ragged inputs", jbody({"inputs": [rows3[0], rows3[1][:-1]]}))
    add("duplicate columns", jbody({"dataframe_split": {"columns": [cols[0]] * width, "data": rows3}}))
    add("empty split", jbody({"dataframe_split": {"columns": cols, "data": []}}))
    add("empty records", jbody({"dataframe_records": []}))
    add("empty inputs", jbody({"inputs": []}))
    add("inputs scalar", jbody({"inputs": 5}))
    add("inputs 1-D (wrong rank)", jbody({"inputs": rows3[0]}))
    add("inputs 3-D (wrong rank)", jbody({"inputs": [rows3]}))
    add("records with extra key", jbody({"dataframe_records": [{**records[0], "extra": 1}]}))
    add("records missing a key", jbody({"dataframe_records": [{k: v for k, v in records[0].items() if k != cols[0]}, records[1]]}))
    add("split missing a column", jbody({"dataframe_split": {"columns": cols[1:], "data": [r[1:] for r in rows3]}}))
    add("csv missing a column", ("\n".join([",".join(cols[1:])] + [",".join(str(v) for v in r[1:]) for r in rows3]) + "\n").encode(), CSV)
    add("empty CSV", b"", CSV)
    add("CSV header only", (",".join(cols) + "\n").encode(), CSV)
    num = 1 if name == "mixed-columns" else 0  # a float column
    for token in ["NaN", "Infinity", "-Infinity"]:
        data = json.dumps(split).replace(json.dumps(rows3[0][num]), token, 1)
        add(f"{token} token in split", ('{"dataframe_split": ' + data + "}").encode())
    add("NaN token in inputs", ('{"inputs": ' + json.dumps(rows3).replace(json.dumps(rows3[0][num]), "NaN", 1) + "}").encode())
    for label, value in [("string number", "1.5"), ("word", "abc"), ("null", None), ("bool", True), ("int", 2)]:
        bad = [list(r) for r in rows3]
        bad[0][num] = value
        add(f"{label} in a float column (split)", jbody({"dataframe_split": {"columns": cols, "data": bad}}))
        add(f"{label} in a float column (inputs)", jbody({"inputs": bad}))
    csv_cells = rows3[0][:]
    csv_cells[num] = ""
    add("empty CSV cell in a float column", ("\n".join([",".join(cols), ",".join(str(v) for v in csv_cells), ",".join(str(v) for v in rows3[1])]) + "\n").encode(), CSV)
    add("word in a CSV float column", ("\n".join([",".join(cols), ",".join("abc" if i == num else str(v) for i, v in enumerate(rows3[0]))]) + "\n").encode(), CSV)
    if name == "mixed-columns":
        for label, value in [("number", 5), ("float", 2.5), ("bool", True), ("null", None), ("list", ["red"]), ("dict", {"a": 1})]:
            bad = [list(r) for r in rows3]
            bad[0][0] = value
            add(f"{label} in the string column (split)", jbody({"dataframe_split": {"columns": cols, "data": bad}}))
            add(f"{label} in the string column (records)", jbody({"dataframe_records": [dict(zip(cols, r)) for r in bad]}))
        add("string column missing from a record", jbody({"dataframe_records": [{"x": 1.0, "n": 2}, records[1]]}))
        add("string column missing from every record", jbody({"dataframe_records": [{"x": 1.0, "n": 2}]}))
        add("empty CSV cell in the string column", b"colour,x,n\n,1.5,3\nblue,2,4\n", CSV)
        add("number in the CSV string column", b"colour,x,n\n7,1.5,3\n", CSV)
        for label, value in [("2.5", 2.5), ("2.0", 2.0), ("string 3", "3"), ("null", None), ("bool", True), ("huge", 2**63)]:
            bad = [list(r) for r in rows3]
            bad[0][2] = value
            add(f"{label} in the int column (split)", jbody({"dataframe_split": {"columns": cols, "data": bad}}))
        for cell in ["2.5", "2.0", "", "1e3", "abc", "9223372036854775808"]:
            add(f"CSV {cell or 'empty'} in the int column", f"colour,x,n\nred,1.5,{cell}\nblue,2,4\n".encode(), CSV)
        add("lists of lists to a multi-input model", jbody({"inputs": rows3}))
        add("inputs dict, one column short", jbody({"inputs": {"colour": ["red"], "x": [1.0]}}))
        add("inputs dict, columns of different lengths", jbody({"inputs": {"colour": ["red", "blue"], "x": [1.0], "n": [1, 2]}}))
    else:
        add("records to a tensor model" if "tensor" in name else "records", jbody({"dataframe_records": records}))
        add("inputs dict by input name", jbody({"inputs": {"X": rows3}}))
        add("inputs dict by a wrong name", jbody({"inputs": {"nope": rows3}}))
        add("int values", jbody({"inputs": [[int(v) for v in r] for r in rows3]}))
        add("one row, flat", jbody({"instances": [rows3[0]]}))
        add("too wide rows", jbody({"inputs": [r + [1.0] for r in rows3]}))
    return rows


def main():
    os.makedirs(out, exist_ok=True)
    names = only or sorted(os.listdir(models_dir))
    results, differ, total, documented = {}, 0, 0, {}
    for name in names:
        model = os.path.join(models_dir, name)
        procs = []
        try:
            mproc, mport = start("mlflow", model)
            procs.append(mproc)
            bproc, bport = start("berth", model)
            procs.append(bproc)
            results[name] = []
            for label, method, path, headers, body in requests_for(name):
                m = send(mport, method, path, headers, body)
                b = send(bport, method, path, headers, body)
                ok = same(m, b)
                total += 1
                reason = None if ok else listed(name, label, headers, m, b)
                results[name].append({
                    "request": label, "method": method, "path": path, "headers": headers,
                    "body": None if body is None else base64.b64encode(body).decode(),
                    "same": ok, "listed": reason, "mlflow": m, "berth": b,
                })
                if reason:
                    documented[reason] = documented.get(reason, 0) + 1
                elif not ok:
                    differ += 1
                    short = lambda a: {k: v for k, v in a.items() if k not in ("stack_trace",)}
                    print(f"DIFF {name} | {label}\n   mlflow {json.dumps(short(m))[:400]}\n   berth  {json.dumps(short(b))[:400]}")
        finally:
            for p in procs:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(30)
    json.dump(results, open(os.path.join(out, "answers.json"), "w"), indent=1)
    for reason, count in sorted(documented.items()):
        print(f"listed difference: {reason}: {count}")
    alike = total - differ - sum(documented.values())
    print(f"{total} requests: {alike} answered alike, {sum(documented.values())} differ as the README lists, {differ} differ otherwise")


main()
