"""Issue 11's check (dev-only; never a test or CI step): the same requests sent to MLflow 3.6's own
scoring server (`mlflow models serve`, FastAPI + uvicorn) and to `berth-scoring-server`, both
serving the same MLflow-written model, for every model make-models.py wrote. Each answer is reduced
to (status, content type, Allow header, error_code or predictions); every pair that differs is
printed, and every request with both answers is written to OUT_DIR/answers.json (the recording
that packages/scoring-server/test/mlflow-recorded.test.ts replays against Berth in CI).

    python serving.py MODELS_DIR BERTH_REPO OUT_DIR [MODEL...]
"""
import json
import os
import sys

from compat import run


def listed(name, _model, label, headers, m, b):
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



J = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


def jbody(value):
    return json.dumps(value).encode()


def requests_for(name, _model):
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



if __name__ == "__main__":
    models_dir, repo, out = sys.argv[1:4]
    run(models_dir, sys.argv[4:] or sorted(os.listdir(models_dir)), repo, out, requests_for, listed)
