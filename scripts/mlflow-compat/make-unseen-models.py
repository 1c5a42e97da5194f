"""Writes a second set of serving-comparison models with real MLflow 3.6 (dev-only; run by
serving.sh --unseen), of kinds make-models.py's four do not cover. Each is logged with
mlflow.onnx.log_model, an input example and the signature mlflow.models.infer_signature makes from
what MLflow's own pyfunc answers on that example (log_model infers none for onnx), so the MLmodel
and signature are MLflow's own; the logged folder is copied out.

  iris-zipmap      LogisticRegression on iris (column names with spaces and parentheses), skl2onnx's
                   default ZipMap: probabilities are a sequence of maps {class: p}
  regressor-2d     LinearRegression on two float64 columns named "a.b" and "c d": one double [N, 2]
                   input, one [N, 1] output
  onehot-pipeline  ColumnTransformer(OneHotEncoder on a string column, scaler on an int64 and a float
                   column) + LogisticRegression without ZipMap: three typed [N, 1] ONNX inputs
  typed-columns    a hand-built graph with 1-D int32, bool and float64 inputs (names with a dot and a
                   space) and outputs of the same three types
  tensor-3d        X float32 [N, 2, 2] -> y = sum over the last axis [N, 2]: a 3-D tensor signature
  string-output    X float32 [N, 3] -> the name of its largest column: one string output, tensor signature
  optional-column  a column signature with a required and an optional (required: false) double column,
                   feeding one double [N, 2] input
  no-signature     a classifier saved with no signature and no input example
  named-tensors    two named tensor inputs, float32 [N, 2] and int64 [N]
  with-params      one double column and a params schema (double, string, long, boolean, double array)
  column-1d        one double column feeding a 1-D [N] ONNX input
  tensor-1d        a float32 [N] tensor
  string-tensor    a string [N] tensor -> int64 codes

    python make-unseen-models.py OUT_DIR
"""
import os
import shutil
import sys
import tempfile

import mlflow
import mlflow.onnx
import mlflow.pyfunc
import onnxruntime
import numpy as np
import onnx
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

out = sys.argv[1]
store = tempfile.mkdtemp()
mlflow.set_tracking_uri("sqlite:///" + os.path.join(store, "mlflow.db"))
mlflow.set_experiment("unseen")


def log(name, model, example, signature=None):
    """log_model with an input example and the signature infer_signature makes from what MLflow's own
    pyfunc answers on that example (onnxruntime's outputs when the pyfunc cannot run it); the logged
    folder is copied out."""
    if signature is None:
        probe = os.path.join(store, name + "-probe")
        mlflow.onnx.save_model(model, probe)
        try:
            answer = mlflow.pyfunc.load_model(probe).predict(example)
        except Exception as error:  # noqa: BLE001 -- the finding is printed, the model kept
            print(f"{name}: MLflow's pyfunc cannot run its own example ({str(error)[:160]})")
            session = onnxruntime.InferenceSession(model.SerializeToString())
            feeds = {i.name: (example[i.name].to_numpy().reshape(-1, 1) if isinstance(example, pd.DataFrame) else example)
                     for i in session.get_inputs()}
            answer = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
        signature = infer_signature(example, answer)
    with mlflow.start_run():
        info = mlflow.onnx.log_model(model, name=name, input_example=example, signature=signature)
    local = mlflow.artifacts.download_artifacts(info.model_uri, dst_path=os.path.join(store, name))
    shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    shutil.copytree(local, os.path.join(out, name), ignore=shutil.ignore_patterns("registered_model_meta"))


def onnx_model(nodes, name, inputs, outputs, initializer=(), ml=False):
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid("ai.onnx.ml", 2)] if ml else [])
    model = helper.make_model(helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializer)), opset_imports=opsets)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# iris-zipmap
iris = load_iris(as_frame=True)
frame = iris.data.astype(np.float32)
zipmap = to_onnx(LogisticRegression(max_iter=1000).fit(frame.to_numpy(), iris.target), frame.to_numpy()[:1], target_opset=17)
log("iris-zipmap", zipmap, frame.iloc[:3])

# regressor-2d
rng = np.random.default_rng(7)
reg_x = pd.DataFrame({"a.b": rng.normal(size=20), "c d": rng.normal(size=20)})
reg = LinearRegression().fit(reg_x.to_numpy(), 3 * reg_x["a.b"] - reg_x["c d"] + 0.5)
log("regressor-2d", to_onnx(reg, initial_types=[("X", DoubleTensorType([None, 2]))], target_opset=17), reg_x.iloc[:3])

# onehot-pipeline
people = pd.DataFrame({
    "city": ["paris", "lyon", "nice", "paris", "lyon", "nice", "paris", "lyon"],
    "age": np.array([31, 45, 22, 60, 38, 27, 52, 41], dtype=np.int64),
    "income": np.array([3.5, 2.1, 1.8, 4.0, 2.9, 2.2, 3.1, 2.6], dtype=np.float32),
})
pipe = Pipeline([
    ("prep", ColumnTransformer([
        ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ("num", StandardScaler(), ["age", "income"]),
    ])),
    ("clf", LogisticRegression()),
]).fit(people, [1, 0, 0, 1, 1, 0, 1, 0])
pipe_onnx = to_onnx(
    pipe,
    initial_types=[("city", StringTensorType([None, 1])), ("age", Int64TensorType([None, 1])), ("income", FloatTensorType([None, 1]))],
    options={id(pipe.steps[-1][1]): {"zipmap": False}},
    target_opset={"": 17, "ai.onnx.ml": 3},
)
log("onehot-pipeline", pipe_onnx, people.iloc[:3])

# typed-columns: total = weight * count (double), shifted = count + 1 (int32), negated = not flag (bool)
count = helper.make_tensor_value_info("count", TensorProto.INT32, ["N"])
flag = helper.make_tensor_value_info("is.ok", TensorProto.BOOL, ["N"])
weight = helper.make_tensor_value_info("weight kg", TensorProto.DOUBLE, ["N"])
one = helper.make_tensor("one", TensorProto.INT32, [], [1])
typed = onnx_model(
    [
        helper.make_node("Cast", ["count"], ["count_d"], to=TensorProto.DOUBLE),
        helper.make_node("Mul", ["weight kg", "count_d"], ["total"]),
        helper.make_node("Add", ["count", "one"], ["shifted"]),
        helper.make_node("Not", ["is.ok"], ["negated"]),
    ],
    "typed", [count, flag, weight],
    [helper.make_tensor_value_info("total", TensorProto.DOUBLE, ["N"]),
     helper.make_tensor_value_info("shifted", TensorProto.INT32, ["N"]),
     helper.make_tensor_value_info("negated", TensorProto.BOOL, ["N"])],
    [one],
)
log("typed-columns", typed, pd.DataFrame({
    "count": np.array([1, 2, 3], dtype=np.int32), "is.ok": [True, False, True], "weight kg": [0.5, 1.25, -2.0],
}))

# tensor-3d
axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
cube = onnx_model(
    [helper.make_node("ReduceSum", ["X", "axes"], ["y"], keepdims=0)], "cube",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 2, 2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [axes],
)
log("tensor-3d", cube, np.arange(8, dtype=np.float32).reshape(2, 2, 2))

# string-output: ArgMax over the 3 columns, then LabelEncoder int64 -> string
naming = onnx_model(
    [helper.make_node("ArgMax", ["X"], ["idx2"], axis=1, keepdims=0),
     helper.make_node("LabelEncoder", ["idx2"], ["name"], domain="ai.onnx.ml",
                      keys_int64s=[0, 1, 2], values_strings=["small", "medium", "large"], default_string="?")],
    "naming", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])],
    [helper.make_tensor_value_info("name", TensorProto.STRING, ["N"])], ml=True,
)
log("string-output", naming, np.array([[1, 5, 2], [9, 0, 1]], dtype=np.float32))

# optional-column: the signature says b may be left out (MLflow's own Schema with required=False)
two = helper.make_tensor("two", TensorProto.DOUBLE, [], [2.0])
sumdouble = onnx_model(
    [helper.make_node("ReduceSum", ["X", "axes"], ["s"], keepdims=0), helper.make_node("Mul", ["s", "two"], ["y"])],
    "optional", [helper.make_tensor_value_info("X", TensorProto.DOUBLE, ["N", 2])],
    [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N"])],
    [helper.make_tensor("axes", TensorProto.INT64, [1], [1]), two],
)
optional_signature = ModelSignature(
    inputs=Schema([ColSpec("double", "a"), ColSpec("double", "b", required=False)]),
    outputs=Schema([ColSpec("double", "y")]),
)
log("optional-column", sumdouble, pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, -1.0]}), optional_signature)

# no-signature: a classifier saved with neither signature nor input example (MLflow enforces nothing)
plain = to_onnx(LogisticRegression(max_iter=1000).fit(frame.to_numpy(), iris.target), frame.to_numpy()[:1],
                options={"zipmap": False}, target_opset=17)
shutil.rmtree(os.path.join(out, "no-signature"), ignore_errors=True)
mlflow.onnx.save_model(plain, os.path.join(out, "no-signature"))

# named-tensors: a float32 [N, 2] and an int64 [N] input, y = a0 + a1 + b
named = onnx_model(
    [helper.make_node("ReduceSum", ["a", "axes"], ["s"], keepdims=0),
     helper.make_node("Cast", ["b"], ["bf"], to=TensorProto.FLOAT),
     helper.make_node("Add", ["s", "bf"], ["y"])],
    "named", [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 2]), helper.make_tensor_value_info("b", TensorProto.INT64, ["N"])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"])], [helper.make_tensor("axes", TensorProto.INT64, [1], [1])],
)
log("named-tensors", named, {"a": np.array([[1, 2], [3, 4]], dtype=np.float32), "b": np.array([5, 6], dtype=np.int64)})

# with-params: a one-column model (one [N, 1] input, which MLflow feeds the frame's values) whose
# signature has a params schema of five types (the ONNX flavor ignores params)
scale = onnx_model(
    [helper.make_node("Mul", ["x", "three"], ["y"])], "scale",
    [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 1])], [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 1])],
    [helper.make_tensor("three", TensorProto.DOUBLE, [], [3.0])],
)
scale_x = pd.DataFrame({"x": [1.0, 2.5]})
log("with-params", scale, scale_x, infer_signature(
    scale_x, pd.DataFrame({"y": [3.0, 7.5]}),
    params={"threshold": 0.5, "label": "a", "top_k": 3, "verbose": False, "weights": [1.0, 2.0]},
))

# column-1d: one double column feeding one 1-D [N] input (MLflow feeds a frame's values, [N, 1])
scale_flat = onnx_model(
    [helper.make_node("Mul", ["x", "three"], ["y"])], "scale_flat",
    [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N"])], [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N"])],
    [helper.make_tensor("three", TensorProto.DOUBLE, [], [3.0])],
)
log("column-1d", scale_flat, scale_x, infer_signature(scale_x, pd.DataFrame({"y": [3.0, 7.5]})))

# tensor-1d: a float32 [N] tensor input -> y = 3x
scale1 = onnx_model(
    [helper.make_node("Mul", ["x", "three"], ["y"])], "scale1",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N"])],
    [helper.make_tensor("three", TensorProto.FLOAT, [], [3.0])],
)
log("tensor-1d", scale1, np.array([1.0, 2.0, -0.5], dtype=np.float32))

# string-tensor: a string [N] tensor input -> its code (LabelEncoder), int64 [N]
codes = onnx_model(
    [helper.make_node("LabelEncoder", ["s"], ["code"], domain="ai.onnx.ml",
                      keys_strings=["red", "green", "blue"], values_int64s=[1, 2, 3], default_int64=-1)],
    "codes", [helper.make_tensor_value_info("s", TensorProto.STRING, ["N"])],
    [helper.make_tensor_value_info("code", TensorProto.INT64, ["N"])], ml=True,
)
log("string-tensor", codes, np.array(["red", "blue", "green"]))

for name in ["column-1d", "no-signature", "named-tensors", "with-params", "tensor-1d", "string-tensor", "iris-zipmap", "regressor-2d", "onehot-pipeline", "typed-columns", "tensor-3d", "string-output", "optional-column"]:
    print(name, (open(os.path.join(out, name, "MLmodel")).read().split("signature:") + ["(none)"])[1].strip().replace("\n", " ")[:400])
