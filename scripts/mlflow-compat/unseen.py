"""Issue 11's check on models and requests the project has not seen (dev-only; never a test or CI
step): the models make-unseen-models.py wrote, and requests generated from each model's MLmodel
signature (nothing is written per model name): every valid input format, then the wrong ones —
wrong JSON types per column type, missing and extra columns, NaN/Infinity tokens, a BOM, params of
every JSON type, wrong rank, ragged rows, empty inputs, nulls, CSV cells that do not fit the
column's type, wrong content types, wrong methods, a trailing slash. compat.py sends each to
`mlflow models serve` and to berth-scoring-server and compares the answers.

    python unseen.py MODELS_DIR BERTH_REPO OUT_DIR [MODEL...]
"""
import json
import os
import sys

import onnx
import yaml

from compat import run

J = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}

# Three valid values per type, as JSON gives them (and as a CSV cell writes them).
VALUES = {
    "double": [1.5, -2.25, 0.125],
    "float": [0.5, 1.25, -3.0],
    "long": [3, -1, 7],
    "integer": [2, 0, 5],
    "boolean": [True, False, True],
    "string": ["red", "blue", "green"],
}
NUMPY = {"float32": "float", "float64": "double", "int64": "long", "int32": "integer", "bool": "boolean", "object": "string", "str": "string"}
# Values of each JSON type, tried in every column whose type they do not fit.
WRONG_JSON = [("string number", "1"), ("string decimal", "2.5"), ("word", "abc"), ("null", None), ("true", True),
              ("int", 2), ("float", 2.5), ("big int", 2**63), ("list", [1]), ("object", {"a": 1})]
# CSV cells, tried in every column.
CSV_CELLS = ["", "abc", "2.5", "2.0", "1e3", "true", "True", "9223372036854775808", "nan", "inf", "-7"]


ONNX_DTYPE = {1: "float32", 11: "float64", 7: "int64", 6: "int32", 9: "bool", 8: "str"}


def signature(model):
    """(signature inputs, ONNX input names, params schema). A model saved without a signature gets
    tensor specs read from its ONNX graph, marked "unsigned" (MLflow then enforces nothing)."""
    sig = yaml.safe_load(open(os.path.join(model, "MLmodel"))).get("signature")
    names = [name for name, _ in onnx_inputs(model)]
    if not sig:
        graph = onnx.load(os.path.join(model, "model.onnx"), load_external_data=False).graph
        inputs = [{"type": "tensor", "name": i.name, "unsigned": True, "tensor-spec": {
            "dtype": ONNX_DTYPE.get(i.type.tensor_type.elem_type, "float32"),
            "shape": [d.dim_value if d.HasField("dim_value") else -1 for d in i.type.tensor_type.shape.dim]}}
            for i in graph.input]
        return inputs, names, None
    inputs = json.loads(sig["inputs"])
    return inputs, names, json.loads(sig["params"]) if sig.get("params") else None


def onnx_inputs(model):
    """(name, shape) of each ONNX graph input; a symbolic dimension is None."""
    graph = onnx.load(os.path.join(model, "model.onnx"), load_external_data=False).graph
    return [(i.name, [d.dim_value if d.HasField("dim_value") else None for d in i.type.tensor_type.shape.dim])
            for i in graph.input]


def is_tensor(inputs):
    return inputs[0]["type"] == "tensor"


def csv_text(header, rows):
    cell = lambda v: "" if v is None else ("true" if v is True else "false" if v is False else str(v))
    lines = ([",".join(header)] if header else []) + [",".join(cell(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def jbody(value):
    return json.dumps(value).encode()


def tensor_value(dtype, shape, seed):
    """A nested list of the spec's shape (-1 as 3), values of its dtype."""
    kind = NUMPY.get(dtype, "double")
    if not shape:
        return VALUES[kind][seed % 3]
    size = 3 if shape[0] == -1 else shape[0]
    return [tensor_value(dtype, shape[1:], seed + i + 1) for i in range(size)]


def requests_for(name, model):
    inputs, onnx_names, params = signature(model)
    rows = []
    add = lambda label, body, headers=J, method="POST", path="/invocations": rows.append((label, method, path, headers, body))

    # routes and methods
    for path in ["/ping", "/health", "/version"]:
        add(f"GET {path}", None, {}, "GET", path)
    for method, path in [("POST", "/ping"), ("POST", "/health"), ("GET", "/invocations"), ("PUT", "/invocations"),
                         ("DELETE", "/invocations"), ("PATCH", "/invocations")]:
        add(f"{method} {path}", None if method == "GET" else b"{}", {} if method == "GET" else J, method, path)
    add("GET /nope", None, {}, "GET", "/nope")

    body_csv = None
    if is_tensor(inputs) and len(inputs) > 1:
        values = {t["name"]: tensor_value(t["tensor-spec"]["dtype"], t["tensor-spec"]["shape"], k) for k, t in enumerate(inputs)}
        names = list(values)
        valid = {"inputs": values}
        add("inputs dict of tensors", jbody(valid))
        add("instances dict of tensors", jbody({"instances": values}))
        add("instances records of tensors", jbody({"instances": [{n: values[n][i] for n in names} for i in range(3)]}))
        add("inputs records of tensors", jbody({"inputs": [{n: values[n][i] for n in names} for i in range(3)]}))
        add("dataframe_records of tensors", jbody({"dataframe_records": [{n: values[n][i] for n in names} for i in range(3)]}))
        add("dataframe_split of tensors", jbody({"dataframe_split": {"columns": names, "data": [[values[n][i] for n in names] for i in range(3)]}}))
        add("lists of lists to a multi-input model", jbody({"inputs": [[values[n][i] for n in names] for i in range(3)]}))
        add("tensors of different lengths", jbody({"inputs": {**values, names[0]: values[names[0]][:2]}}))
        add("extra tensor", jbody({"inputs": {**values, "extra": [1, 2, 3]}}))
        add("empty tensors", jbody({"inputs": {n: [] for n in names}}))
        add("csv of tensors", csv_text(names, [[json.dumps(values[n][i]) for n in names] for i in range(3)]), CSV)
        for n in names:
            add(f"tensor {n!r} missing", jbody({"inputs": {k: v for k, v in values.items() if k != n}}))
            add(f"tensor {n!r} null", jbody({"inputs": {**values, n: None}}))
            add(f"tensor {n!r} scalar", jbody({"inputs": {**values, n: 1}}))
            add(f"tensor {n!r} one rank more", jbody({"inputs": {**values, n: [values[n]]}}))
            first = values[n][0]
            for label, wrong in WRONG_JSON:
                bad = json.loads(json.dumps(values[n]))
                if isinstance(bad[0], list):
                    bad[0][0] = wrong
                else:
                    bad[0] = wrong
                add(f"{label} in tensor {n!r}", jbody({"inputs": {**values, n: bad}}))
            if isinstance(first, list) and len(first) > 1:
                add(f"ragged tensor {n!r}", jbody({"inputs": {**values, n: [values[n][0], values[n][1][:-1], values[n][2]]}}))
        add("inputs null", jbody({"inputs": None}))
        body = jbody(valid)
    elif is_tensor(inputs):
        spec = inputs[0]["tensor-spec"]
        dtype, shape = spec["dtype"], spec["shape"]
        value = tensor_value(dtype, shape, 0)
        tname = inputs[0].get("name") or onnx_names[0]
        valid = {"inputs": value}
        add("inputs", jbody(valid))
        add("instances", jbody({"instances": value}))
        add("inputs dict by input name", jbody({"inputs": {tname: value}}))
        add("instances dict by input name", jbody({"instances": {tname: value}}))
        add("inputs dict by a wrong name", jbody({"inputs": {"nope": value}}))
        add("one row", jbody({"inputs": value[:1]}))
        add("inputs scalar", jbody({"inputs": 5}))
        add("inputs one rank less", jbody({"inputs": value[0]}))
        add("inputs one rank more", jbody({"inputs": [value]}))
        ragged = json.loads(json.dumps(value))
        ragged[1] = ragged[1][:-1] if isinstance(ragged[1], list) else [ragged[1], ragged[1]]
        add("ragged inputs", jbody({"inputs": ragged}))
        if len(shape) > 1:
            wide = json.loads(json.dumps(value))
            wide[0] = wide[0] + [wide[0][0]]
            add("too wide", jbody({"inputs": [r + [r[0]] for r in value]}))
            add("one row too wide", jbody({"inputs": wide}))
        add("empty inputs", jbody({"inputs": []}))
        add("inputs null", jbody({"inputs": None}))
        add("instances null", jbody({"instances": None}))
        nulled = json.loads(json.dumps(value))
        leaf = nulled
        while isinstance(leaf[0], list):
            leaf = leaf[0]
        first = leaf[0]
        for label, wrong in WRONG_JSON:
            if type(wrong) is type(first) and label not in ("big int",):
                continue
            leaf[0] = wrong
            add(f"{label} in the tensor", jbody({"inputs": nulled}))
        if NUMPY.get(dtype) in ("float", "double"):
            text = json.dumps(value)
            for token in ["NaN", "Infinity", "-Infinity"]:
                add(f"{token} token in inputs", ('{"inputs": ' + text.replace(json.dumps(first), token, 1) + "}").encode())
        if len(shape) == 1:
            add("dataframe_split of one column", jbody({"dataframe_split": {"columns": ["x"], "data": [[v] for v in value]}}))
            add("dataframe_records of one column", jbody({"dataframe_records": [{"x": v} for v in value]}))
            add("csv of one column", csv_text(["x"], [[v] for v in value]), CSV)
        elif len(shape) == 2:
            cols = [f"c{i}" for i in range(shape[1])]
            add("dataframe_split", jbody({"dataframe_split": {"columns": cols, "data": value}}))
            add("dataframe_split without columns", jbody({"dataframe_split": {"data": value}}))
            add("dataframe_records", jbody({"dataframe_records": [dict(zip(cols, r)) for r in value]}))
            add("csv", csv_text(cols, value), CSV)
            add("csv without header", csv_text(None, value), CSV)
        else:
            add("dataframe_split of a 3-D tensor", jbody({"dataframe_split": {"data": value}}))
        body = jbody(valid)
    else:
        cols = [c["name"] for c in inputs]
        kinds = {c["name"]: c["type"] for c in inputs}
        required = [c["name"] for c in inputs if c.get("required", True)]
        optional = [c["name"] for c in inputs if not c.get("required", True)]
        example = json.load(open(os.path.join(model, "input_example.json")))
        # string values from the model's example (so a category model sees categories it knows)
        ex_cols = example.get("columns", [])
        table = {c: list(VALUES[kinds[c]]) for c in cols}
        for c in cols:
            if kinds[c] == "string" and c in ex_cols:
                seen = [r[ex_cols.index(c)] for r in example["data"]]
                table[c] = (seen * 3)[:3]
        data = [[table[c][i] for c in cols] for i in range(3)]
        records = [dict(zip(cols, r)) for r in data]
        split = {"columns": cols, "data": data}
        valid = {"dataframe_split": split}
        add("dataframe_split", jbody(valid))
        add("dataframe_split without columns", jbody({"dataframe_split": {"data": data}}))
        add("dataframe_split with index", jbody({"dataframe_split": {**split, "index": [7, 8, 9]}}))
        add("dataframe_split, columns in another order", jbody({"dataframe_split": {
            "columns": cols[::-1], "data": [r[::-1] for r in data]}}))
        add("dataframe_records", jbody({"dataframe_records": records}))
        add("one record", jbody({"dataframe_records": records[:1]}))
        add("instances records", jbody({"instances": records}))
        add("inputs records", jbody({"inputs": records}))
        add("instances list of lists", jbody({"instances": data}))
        add("inputs list of lists", jbody({"inputs": data}))
        add("inputs dict of columns", jbody({"inputs": {c: [r[i] for r in data] for i, c in enumerate(cols)}}))
        add("instances dict of columns", jbody({"instances": {c: [r[i] for r in data] for i, c in enumerate(cols)}}))
        add("inputs dict of scalars", jbody({"inputs": records[0]}))
        add("csv", csv_text(cols, data), CSV)
        add("csv without header", csv_text(None, data), CSV)
        add("csv, columns in another order", csv_text(cols[::-1], [r[::-1] for r in data]), CSV)
        add("csv with CRLF", csv_text(cols, data).replace(b"\n", b"\r\n"), CSV)
        add("csv with quoted cells", ("\n".join([",".join(f'"{c}"' for c in cols)] + [",".join(
            f'"{v}"' if isinstance(v, str) else json.dumps(v) if not isinstance(v, bool) else str(v).lower() for v in r)
            for r in data]) + "\n").encode(), CSV)
        # wrong JSON types, column by column
        for c in cols:
            i = cols.index(c)
            for label, wrong in WRONG_JSON:
                good = table[c][0]
                if type(wrong) is type(good) and label not in ("big int", "string number", "string decimal"):
                    continue
                bad = [list(r) for r in data]
                bad[0][i] = wrong
                add(f"{label} in {kinds[c]} column {c!r} (split)", jbody({"dataframe_split": {"columns": cols, "data": bad}}))
                add(f"{label} in {kinds[c]} column {c!r} (records)", jbody({"dataframe_records": [dict(zip(cols, r)) for r in bad]}))
            add(f"{c!r} missing from one record", jbody({"dataframe_records": [{k: v for k, v in records[0].items() if k != c}] + records[1:]}))
            add(f"{c!r} missing from every record", jbody({"dataframe_records": [{k: v for k, v in r.items() if k != c} for r in records]}))
            add(f"split without column {c!r}", jbody({"dataframe_split": {"columns": [k for k in cols if k != c],
                                                                           "data": [[v for k, v in zip(cols, r) if k != c] for r in data]}}))
            add(f"csv without column {c!r}", csv_text([k for k in cols if k != c], [[v for k, v in zip(cols, r) if k != c] for r in data]), CSV)
            add(f"inputs dict without column {c!r}", jbody({"inputs": {k: [r[j] for r in data] for j, k in enumerate(cols) if k != c}}))
            for cell in CSV_CELLS:
                bad = [[("" if v is None else v) for v in r] for r in data]
                bad[0][i] = cell
                add(f"CSV cell {cell or 'empty'!r} in {kinds[c]} column {c!r}", csv_text(cols, bad), CSV)
            if kinds[c] in ("double", "float"):
                for token in ["NaN", "Infinity", "-Infinity"]:
                    text = json.dumps(split).replace(json.dumps(data[0][i]), token, 1)
                    add(f"{token} token in {c!r} (split)", ('{"dataframe_split": ' + text + "}").encode())
                add(f"NaN token in {c!r} (records)", ('{"dataframe_records": ' + json.dumps(records).replace(json.dumps(data[0][i]), "NaN", 1) + "}").encode())
        add("extra column (split)", jbody({"dataframe_split": {"columns": cols + ["extra"], "data": [r + [1] for r in data]}}))
        add("extra key (records)", jbody({"dataframe_records": [{**r, "extra": "x"} for r in records]}))
        add("extra column (csv)", csv_text(cols + ["extra"], [r + [1] for r in data]), CSV)
        add("duplicate columns", jbody({"dataframe_split": {"columns": [cols[0]] * len(cols), "data": data}}))
        add("only optional columns missing", jbody({"dataframe_split": {"columns": required,
                                                                         "data": [[v for k, v in zip(cols, r) if k in required] for r in data]}}))
        add("ragged split", jbody({"dataframe_split": {"columns": cols, "data": [data[0], data[1][:-1]]}}))
        add("ragged inputs", jbody({"inputs": [data[0], data[1][:-1]]}))
        add("ragged csv", csv_text(cols, [data[0], data[1][:-1]]), CSV)
        add("too many cells in a csv row", csv_text(cols, [data[0] + [1], data[1]]), CSV)
        add("empty split", jbody({"dataframe_split": {"columns": cols, "data": []}}))
        add("empty records", jbody({"dataframe_records": []}))
        add("empty inputs", jbody({"inputs": []}))
        add("empty inputs dict", jbody({"inputs": {}}))
        add("empty CSV", b"", CSV)
        add("CSV header only", csv_text(cols, []), CSV)
        add("inputs scalar", jbody({"inputs": 5}))
        add("inputs 1-D", jbody({"inputs": data[0]}))
        add("inputs 3-D", jbody({"inputs": [data]}))
        add("split data 1-D", jbody({"dataframe_split": {"columns": cols, "data": data[0]}}))
        add("inputs null", jbody({"inputs": None}))
        add("instances null", jbody({"instances": None}))
        add("split null", jbody({"dataframe_split": None}))
        add("records null", jbody({"dataframe_records": None}))
        add("a null record", jbody({"dataframe_records": [records[0], None]}))
        add("a null row in split", jbody({"dataframe_split": {"columns": cols, "data": [data[0], None]}}))
        add("records not a list", jbody({"dataframe_records": records[0]}))
        add("split columns not a list", jbody({"dataframe_split": {"columns": cols[0], "data": data}}))
        if optional:
            add("optional columns null", jbody({"dataframe_split": {"columns": cols, "data": [
                [None if k in optional else v for k, v in zip(cols, r)] for r in data]}}))
        body, body_csv = jbody(valid), csv_text(cols, data)

    # whatever the signature: envelopes, params, encodings, content types, paths
    add("POST /invocations/", body, J, "POST", "/invocations/")
    add("POST /invocations?x=1", body, J, "POST", "/invocations?x=1")
    add("BOM before JSON", b"\xef\xbb\xbf" + body)
    if body_csv:
        add("BOM before CSV", b"\xef\xbb\xbf" + body_csv, CSV)
    add("whitespace around JSON", b" \n\t" + body + b"\n ")
    for label, wrong_params in [("list", [1, 2]), ("string", "x"), ("number", 3), ("float", 0.5), ("true", True),
                          ("null", None), ("empty object", {}), ("unknown key", {"temperature": 0.5}),
                          ("nested object", {"a": {"b": [1]}})]:
        add(f"params {label}", json.dumps({**json.loads(body), "params": wrong_params}).encode())
    for spec in params or []:
        base = json.loads(body)
        add(f"param {spec['name']!r} as its default", json.dumps({**base, "params": {spec["name"]: spec["default"]}}).encode())
        for label, wrong in WRONG_JSON:
            add(f"{label} as param {spec['name']!r} ({spec['type']})", json.dumps({**base, "params": {spec["name"]: wrong}}).encode())
    if params:
        add("every param at once", json.dumps({**json.loads(body), "params": {p["name"]: p["default"] for p in params}}).encode())
        add("a param the schema does not name", json.dumps({**json.loads(body), "params": {"nope": 1}}).encode())
    add("malformed JSON", body[:-3])
    add("JSON sent as CSV", body, CSV)
    if body_csv:
        add("CSV sent as JSON", body_csv, J)
    add("no input field", jbody({"data": [1]}))
    add("unknown field beside the input", jbody({**json.loads(body), "extra": 1}))
    add("two input fields", jbody({**json.loads(body), "instances": [[1]]}))
    add("a list body", jbody([[1, 2]]))
    add("a string body", jbody("x"))
    add("null body", b"null")
    add("empty JSON body", b"", J)
    add("missing content type", body, {})
    for ctype in ["text/plain", "application/x-www-form-urlencoded", "application/jsonlines", "application/json; format=pandas-split",
                  'application/json; charset="utf-8"', "APPLICATION/JSON", "application/json; charset=latin-1",
                  "application/json;charset=utf-8", "text/csv; charset=utf-8"]:
        add(f"content type {ctype}", body_csv if ctype.startswith("text/csv") and body_csv else body, {"Content-Type": ctype})
    add("invalid UTF-8", body.replace(b"{", b'{"x": "\xff\xfe", ', 1))
    return rows


def listed(name, model, label, headers, m, b):
    """The README's "Differences from MLflow" row this pair falls under, or None — decided from the
    request's kind, the model's signature and the two answers, never from the model's name."""
    inputs, _, _ = signature(model)
    if label == "GET /nope" and m["status"] == b["status"] == 404:
        return "unknown route: error body"
    if label == "missing content type" and m["status"] == 500 and b["status"] == 415:
        return "missing Content-Type"
    if label == "invalid UTF-8" and m["status"] == 500 and b["status"] == 400:
        return "invalid UTF-8"
    if label in ('content type application/json; charset="utf-8"', "content type APPLICATION/JSON") and m["status"] == 415 and b["status"] == 200:
        return "content-type parameters RFC 9110 allows"
    if (is_tensor(inputs) and not inputs[0].get("unsigned") and headers.get("Content-Type", "").startswith("text/csv")
            and m["status"] == 400):
        return "CSV to a tensor-signature model"
    if (inputs[0].get("unsigned") and m["status"] == 400 and "unexpected error while evaluating" in m.get("message", "")
            and b["status"] == 200 and (label.startswith(("dataframe_", "csv")) or headers.get("Content-Type") == "text/csv")
            and any(len(o.type.tensor_type.shape.dim) > 1 for o in onnx.load(os.path.join(model, "model.onnx")).graph.output)):
        return "a DataFrame to a model without a signature whose output is 2-D (MLflow's ONNX flavor cannot build its DataFrame)"
    graph = onnx_inputs(model)
    if (inputs[0].get("unsigned") and len(graph) == 1 and label == "inputs dict by a wrong name"
            and m["status"] == 400 and b["status"] == 200):
        return "a model without a signature, one ONNX input: a dict's only tensor feeds it whatever its name"
    if (not is_tensor(inputs) and len(graph) == 1 and len(graph[0][1]) == 1 and m["status"] == 400
            and "unexpected error while evaluating" in m.get("message", "") and b["status"] == 200):
        return "one 1-D ONNX input for a column signature (MLflow's ONNX flavor feeds the frame's values, 2-D)"
    if (not is_tensor(inputs) and len(graph) > 1 and all(len(shape) == 2 and shape[1] == 1 for _, shape in graph)
            and m["status"] == 400 and "unexpected error while evaluating" in m.get("message", "") and b["status"] == 200):
        return "several [N, 1] ONNX inputs for a column signature (MLflow's ONNX flavor feeds them 1-D)"
    return None


if __name__ == "__main__":
    models_dir, repo, out = sys.argv[1:4]
    run(models_dir, sys.argv[4:] or sorted(os.listdir(models_dir)), repo, out, requests_for, listed)
