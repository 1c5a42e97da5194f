#!/usr/bin/python3
"""Generates Berth's example MLflow model directories under examples/models/.

Run with Debian's Python (it has scikit-learn and onnx; the pyenv python3 on PATH does not):

    apt-get install -y --no-install-recommends python3-sklearn python3-onnx
    /usr/bin/python3 examples/scripts/make-example-models.py

No network: the iris data ships with scikit-learn. There is no skl2onnx on Debian, so the trained
multinomial LogisticRegression is written as ONNX by hand: Gemm(coef_.T, intercept_) -> Softmax,
plus ArgMax for the label, which is exactly what predict_proba / predict compute.

Models written (each an MLflow model directory with MLmodel, model.onnx, env files, examples):
  iris              named-column signature (sepal_length ... petal_width: double), the one to serve
  iris-tensor       the same classifier with a tensor signature (input: float32 (-1, 4))
  multi-input       two inputs a, b (float [N]) -> sum, product; column signature a, b: double
  linear-external   y = x @ W + b with its weights in an external-data file (model.onnx.data)
  js-linear         a `js`-flavor model (model.mjs + weights.json), run only with allowCode
  iris-zipmap       the iris classifier as skl2onnx lays classifiers out (ai.onnx.ml LinearClassifier
                    + ZipMap: output_label, output_probability as a sequence of maps), no signature
Reference outputs (sklearn's predict_proba/predict on the input example) go to iris/expected.json.
"""
import datetime
import json
import os
import shutil
import uuid

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models")
OPSET = [helper.make_opsetid("", 13)]
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def mlmodel(flavors, signature=None, example_info=None, metadata=None):
    document = {
        "flavors": flavors,
        # Fixed id and time keep the committed files stable across regenerations.
        "model_uuid": uuid.UUID(int=0).hex,
        "utc_time_created": "2026-11-29 00:00:00.000000",
    }
    if signature is not None:
        document["signature"] = {key: (json.dumps(value) if value is not None else None) for key, value in signature.items()}
    if example_info is not None:
        document["saved_input_example_info"] = example_info
    if metadata is not None:
        document["metadata"] = metadata
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=True)


def onnx_flavors():
    return {
        "onnx": {
            "code": None,
            "data": "model.onnx",
            "onnx_session_options": None,
            "onnx_version": onnx.__version__,
            "providers": ["CUDAExecutionProvider", "CPUExecutionProvider"],
        },
        "python_function": {
            "data": "model.onnx",
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.onnx",
            "python_version": "3.11.2",
        },
    }


def write_env_files(directory):
    requirements = ["mlflow", "onnx", "onnxruntime"]
    with open(os.path.join(directory, "requirements.txt"), "w") as f:
        f.write("\n".join(requirements) + "\n")
    with open(os.path.join(directory, "python_env.yaml"), "w") as f:
        yaml.safe_dump({"python": "3.11.2", "build_dependencies": ["pip"], "dependencies": ["-r requirements.txt"]}, f)
    with open(os.path.join(directory, "conda.yaml"), "w") as f:
        yaml.safe_dump({"channels": ["conda-forge"], "dependencies": ["python=3.11.2", "pip", {"pip": requirements}], "name": "mlflow-env"}, f)


def fresh(name):
    directory = os.path.join(ROOT, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    return directory


def write_json(directory, name, value, indent=None):
    with open(os.path.join(directory, name), "w") as f:
        json.dump(value, f, indent=indent)
        f.write("\n")


def save(model, directory, **kwargs):
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(directory, "model.onnx"), **kwargs)


def iris_graph(clf, input_name):
    weights = numpy_helper.from_array(clf.coef_.T.astype(np.float32), "coef")
    bias = numpy_helper.from_array(clf.intercept_.astype(np.float32), "intercept")
    nodes = [
        helper.make_node("Gemm", [input_name, "coef", "intercept"], ["logits"], name="linear"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1, name="softmax"),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0, name="argmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "iris_logistic_regression",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 4])],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ],
        [weights, bias],
    )
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="berth-examples")
    model.ir_version = 8
    return model


IRIS_OUTPUTS = [
    {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "probabilities"},
    {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}, "name": "label"},
]


def make_iris():
    iris = load_iris()
    X, y = iris.data, iris.target
    clf = LogisticRegression(max_iter=1000, random_state=0).fit(X, y)
    # One flower of each species, plus one with integral measurements (JSON ints must work too).
    rows = [X[0].tolist(), X[60].tolist(), X[120].tolist(), [6.0, 3.0, 5.0, 2.0]]
    example = {"columns": FEATURES, "data": rows}
    proba = clf.predict_proba(np.array(rows))
    label = clf.predict(np.array(rows))

    directory = fresh("iris")
    save(iris_graph(clf, "input"), directory)
    signature = {
        "inputs": [{"type": "double", "name": name, "required": True} for name in FEATURES],
        "outputs": IRIS_OUTPUTS,
        "params": None,
    }
    example_info = {
        "artifact_path": "input_example.json",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
        "type": "dataframe",
    }
    metadata = {"source": "scikit-learn LogisticRegression on the iris data, exported by examples/scripts/make-example-models.py",
                "classes": iris.target_names.tolist()}
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(onnx_flavors(), signature, example_info, metadata))
    write_json(directory, "input_example.json", example)
    write_json(directory, "serving_input_example.json", {"dataframe_split": example}, indent=2)
    write_json(directory, "expected.json", {
        "input": rows,
        "probabilities": proba.tolist(),
        "label": label.tolist(),
    })
    write_env_files(directory)

    # Tensor-signature variant.
    directory = fresh("iris-tensor")
    save(iris_graph(clf, "input"), directory)
    signature = {
        "inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}],
        "outputs": IRIS_OUTPUTS,
        "params": None,
    }
    example_info = {"artifact_path": "input_example.json", "serving_input_path": "serving_input_example.json", "type": "ndarray"}
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(onnx_flavors(), signature, example_info))
    write_json(directory, "input_example.json", {"inputs": rows})
    write_json(directory, "serving_input_example.json", {"inputs": rows}, indent=2)
    write_json(directory, "expected.json", {"input": rows, "probabilities": proba.tolist(), "label": label.tolist()})
    write_env_files(directory)

    # skl2onnx's layout for classifiers: LinearClassifier + ZipMap (a sequence of {class: p} maps).
    directory = fresh("iris-zipmap")
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    nodes = [
        helper.make_node("LinearClassifier", ["float_input"], ["output_label", "probabilities"], domain="ai.onnx.ml",
                         classlabels_ints=[0, 1, 2], coefficients=clf.coef_.astype(np.float32).flatten().tolist(),
                         intercepts=clf.intercept_.astype(np.float32).tolist(), multi_class=1, post_transform="SOFTMAX",
                         name="LinearClassifier"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=[0, 1, 2], name="ZipMap"),
    ]
    graph = helper.make_graph(
        nodes, "iris_skl2onnx_style",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("output_label", TensorProto.INT64, [None]),
         helper.make_value_info("output_probability", helper.make_sequence_type_proto(map_type))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)], producer_name="berth-examples")
    model.ir_version = 8
    save(model, directory)
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(onnx_flavors(), None, {"artifact_path": "input_example.json", "serving_input_path": "serving_input_example.json", "type": "ndarray"}))
    write_json(directory, "input_example.json", {"inputs": rows})
    write_json(directory, "serving_input_example.json", {"inputs": rows}, indent=2)
    write_json(directory, "expected.json", {"input": rows, "probabilities": proba.tolist(), "label": label.tolist()})
    write_env_files(directory)
    return clf


def make_multi_input():
    directory = fresh("multi-input")
    nodes = [
        helper.make_node("Add", ["a", "b"], ["sum"], name="add"),
        helper.make_node("Mul", ["a", "b"], ["product"], name="mul"),
    ]
    graph = helper.make_graph(
        nodes,
        "multi_input",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N"]), helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N"])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N"]), helper.make_tensor_value_info("product", TensorProto.FLOAT, ["N"])],
    )
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="berth-examples")
    model.ir_version = 8
    save(model, directory)
    signature = {
        "inputs": [{"type": "double", "name": "a", "required": True}, {"type": "double", "name": "b", "required": True}],
        "outputs": [
            {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "sum"},
            {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}, "name": "product"},
        ],
        "params": None,
    }
    example = {"columns": ["a", "b"], "data": [[1.5, 2.0], [3.0, -1.0]]}
    example_info = {"artifact_path": "input_example.json", "pandas_orient": "split", "serving_input_path": "serving_input_example.json", "type": "dataframe"}
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(onnx_flavors(), signature, example_info))
    write_json(directory, "input_example.json", example)
    write_json(directory, "serving_input_example.json", {"dataframe_split": example}, indent=2)
    write_env_files(directory)


def make_linear_external():
    directory = fresh("linear-external")
    rng = np.random.default_rng(7)
    W = rng.normal(size=(3, 2)).astype(np.float32)
    b = rng.normal(size=(2,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="linear")],
        "linear_external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="berth-examples")
    model.ir_version = 8
    # MLflow saves with external data by default; size_threshold=0 moves even these small tensors out.
    save(model, directory, save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
    x = [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]
    expected = (np.array(x, dtype=np.float32) @ W + b).tolist()
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(onnx_flavors(), {"inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "x"}], "outputs": None, "params": None},
                        {"artifact_path": "input_example.json", "serving_input_path": "serving_input_example.json", "type": "ndarray"}))
    write_json(directory, "input_example.json", {"inputs": x})
    write_json(directory, "serving_input_example.json", {"inputs": x}, indent=2)
    write_json(directory, "expected.json", {"input": x, "y": expected})
    write_env_files(directory)


def make_js_linear():
    directory = fresh("js-linear")
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(mlmodel(
            {"js": {"module": "model.mjs"}},
            {"inputs": [{"type": "double", "name": "x1", "required": True}, {"type": "double", "name": "x2", "required": True}],
             "outputs": None,
             "params": [{"name": "scale", "type": "double", "default": 1.0, "shape": None}]},
            {"artifact_path": "input_example.json", "pandas_orient": "split", "serving_input_path": "serving_input_example.json", "type": "dataframe"},
        ))
    write_json(directory, "weights.json", {"x1": 2.0, "x2": -1.0, "bias": 0.5})
    example = {"columns": ["x1", "x2"], "data": [[1.0, 2.0], [3.0, 0.5]]}
    write_json(directory, "input_example.json", example)
    write_json(directory, "serving_input_example.json", {"dataframe_split": example, "params": {"scale": 1.0}}, indent=2)
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "js-linear-model.mjs"), os.path.join(directory, "model.mjs"))


if __name__ == "__main__":
    make_iris()
    make_multi_input()
    make_linear_external()
    make_js_linear()
    print("wrote", sorted(os.listdir(ROOT)))
