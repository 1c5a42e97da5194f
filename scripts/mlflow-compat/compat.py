"""The comparison machinery shared by serving.py (make-models.py's four models, requests written per
model) and unseen.py (make-unseen-models.py's models, requests generated from each signature): start
`mlflow models serve` and `berth-scoring-server` on one model, send both the same request, reduce
each answer to (status, content type, Allow, Location, error_code or predictions), compare, and
write every exchange to OUT_DIR/answers.json (what record-answers.py turns into the recording
packages/scoring-server/test replays). Dev-only; never a test or CI step.
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


def start(kind, model, repo, out):
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


def same(m, b):
    keys = ("status", "type", "allow", "error_code")
    if any(m.get(k) != b.get(k) for k in keys):
        return False
    return close(m.get("body"), b.get("body"))


def run(models_dir, names, repo, out, requests_for, listed):
    """requests_for(name, model_dir) -> [(label, method, path, headers, body)];
    listed(name, model_dir, label, headers, mlflow_answer, berth_answer) -> README row or None."""
    os.makedirs(out, exist_ok=True)
    results, differ, total, documented = {}, 0, 0, {}
    for name in names:
        model = os.path.join(models_dir, name)
        procs = []
        try:
            mproc, mport = start("mlflow", model, repo, out)
            procs.append(mproc)
            bproc, bport = start("berth", model, repo, out)
            procs.append(bproc)
            results[name] = []
            for label, method, path, headers, body in requests_for(name, model):
                m = send(mport, method, path, headers, body)
                b = send(bport, method, path, headers, body)
                ok = same(m, b)
                total += 1
                reason = None if ok else listed(name, model, label, headers, m, b)
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
    print(f"{len(results)} models, {total} requests: {alike} answered alike, {sum(documented.values())} differ as the README lists, {differ} differ otherwise")
