"""Writes the serving-comparison models with real MLflow 3.6 (dev-only; run by serving.sh). Each is
saved with mlflow.onnx.save_model, so its MLmodel and signature are MLflow's own:

  wine-tensor    LogisticRegression on sklearn's wine data (13 float32 features), a numpy input
                 example: a tensor signature, two outputs (label, probabilities)
  wine-columns   the same ONNX model with a pandas input example: a column signature of 13 float
                 columns, two outputs (one of them 2-D)
  mixed-columns  a hand-built graph with three 1-D inputs, one per column — colour (string), x
                 (float), n (int64) — and two outputs: score = 2·x + n (float), code = the colour's
                 code (int64, LabelEncoder); a column signature
  double-tensor  y = 2·X for X float32 [N, 3]: a tensor signature with one output

    python make-models.py OUT_DIR
"""
import os
import sys

import mlflow.onnx
import numpy as np
import onnx
import onnxruntime
import pandas as pd
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from mlflow.models import infer_signature

out = sys.argv[1]
X, y = load_wine(return_X_y=True)
X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
wine = to_onnx(LogisticRegression(max_iter=1000).fit(X, y), X[:1], options={"zipmap": False}, target_opset=17)


def run(model, feeds):
    session = onnxruntime.InferenceSession(model.SerializeToString())
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


# save_model infers no signature (log_model does): each is given the one infer_signature makes.
wine_out = run(wine, {"X": X[:3]})
mlflow.onnx.save_model(wine, os.path.join(out, "wine-tensor"), input_example=X[:3], signature=infer_signature(X[:3], wine_out))
columns = [f"f{i}" for i in range(X.shape[1])]
frame = pd.DataFrame(X[:3], columns=columns)
mlflow.onnx.save_model(wine, os.path.join(out, "wine-columns"), input_example=frame, signature=infer_signature(frame, wine_out))

colour = helper.make_tensor_value_info("colour", TensorProto.STRING, ["N"])
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])
n = helper.make_tensor_value_info("n", TensorProto.INT64, ["N"])
score = helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"])
code = helper.make_tensor_value_info("code", TensorProto.INT64, ["N"])
two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
nodes = [
    helper.make_node("Mul", ["x", "two"], ["x2"]),
    helper.make_node("Cast", ["n"], ["nf"], to=TensorProto.FLOAT),
    helper.make_node("Add", ["x2", "nf"], ["score"]),
    helper.make_node(
        "LabelEncoder", ["colour"], ["code"], domain="ai.onnx.ml",
        keys_strings=["red", "green", "blue"], values_int64s=[1, 2, 3], default_int64=-1,
    ),
]
graph = helper.make_graph(nodes, "mixed", [colour, x, n], [score, code], initializer=[two])
mixed = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 2)])
mixed.ir_version = 8
onnx.checker.check_model(mixed)
example = pd.DataFrame({"colour": ["red", "blue"], "x": np.array([1.5, -2.0], dtype=np.float32), "n": np.array([3, 4], dtype=np.int64)})
mixed_out = run(mixed, {c: example[c].to_numpy() for c in example.columns})
mlflow.onnx.save_model(mixed, os.path.join(out, "mixed-columns"), input_example=example, signature=infer_signature(example, pd.DataFrame(mixed_out)))

X3 = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])
Y3 = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
double = helper.make_model(
    helper.make_graph([helper.make_node("Mul", ["X", "two"], ["y"])], "double", [X3], [Y3], initializer=[two]),
    opset_imports=[helper.make_opsetid("", 17)],
)
double.ir_version = 8
X1 = np.array([[1, 2, 3]], dtype=np.float32)
mlflow.onnx.save_model(double, os.path.join(out, "double-tensor"), input_example=X1, signature=infer_signature(X1, run(double, {"X": X1})["y"]))
for name in ["wine-tensor", "wine-columns", "mixed-columns", "double-tensor"]:
    print(name, open(os.path.join(out, name, "MLmodel")).read().split("signature:")[1].strip().replace("\n", " ")[:300])
