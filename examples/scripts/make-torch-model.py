"""Writes examples/models/torch-cnn: a small PyTorch CNN exported by torch.onnx.export, laid out as an
MLflow onnx model (tensor signature, serving input example) with PyTorch's own outputs in
expected.json for the tests to compare against.

    apt-get install -y --no-install-recommends python3-torch python3-onnx
    /usr/bin/python3 examples/scripts/make-torch-model.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models', 'torch-cnn')


class SmallCnn(torch.nn.Module):
    """1×8×8 'images' → 5 class probabilities: conv + ReLU + max-pool + linear + softmax."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv(x)))
        return torch.softmax(self.fc(h.flatten(1)), dim=1)


def main():
    torch.manual_seed(7)
    model = SmallCnn().eval()
    example = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(11))
    os.makedirs(OUT, exist_ok=True)
    # torch's default names would be 'input.1' and a number; name them, and let the batch vary.
    torch.onnx.export(
        model,
        example,
        os.path.join(OUT, 'model.onnx'),
        input_names=['pixels'],
        output_names=['probabilities'],
        dynamic_axes={'pixels': {0: 'batch'}, 'probabilities': {0: 'batch'}},
        opset_version=13,
    )
    with torch.no_grad():
        probabilities = model(example).numpy()
    inputs = [{'type': 'tensor', 'tensor-spec': {'dtype': 'float32', 'shape': [-1, 1, 8, 8]}, 'name': 'pixels'}]
    outputs = [{'type': 'tensor', 'tensor-spec': {'dtype': 'float32', 'shape': [-1, 5]}, 'name': 'probabilities'}]
    mlmodel = [
        'flavors:',
        '  onnx:',
        '    code: null',
        '    data: model.onnx',
        '    onnx_session_options: null',
        '    onnx_version: 1.12.0',
        '    providers:',
        '    - CUDAExecutionProvider',
        '    - CPUExecutionProvider',
        '  python_function:',
        '    data: model.onnx',
        '    loader_module: mlflow.onnx',
        '    python_version: 3.11.2',
        "metadata:",
        f"  source: torch {torch.__version__} SmallCnn exported by examples/scripts/make-torch-model.py",
        "model_uuid: '00000000000000000000000000000001'",
        'saved_input_example_info:',
        '  artifact_path: input_example.json',
        '  serving_input_path: serving_input_example.json',
        '  type: ndarray',
        'signature:',
        f"  inputs: '{json.dumps(inputs)}'",
        f"  outputs: '{json.dumps(outputs)}'",
        '  params: null',
        "utc_time_created: '2026-11-29 00:00:00.000000'",
    ]
    with open(os.path.join(OUT, 'MLmodel'), 'w') as f:
        f.write('\n'.join(mlmodel) + '\n')
    pixels = example.numpy().tolist()
    with open(os.path.join(OUT, 'input_example.json'), 'w') as f:
        json.dump(pixels, f)
    with open(os.path.join(OUT, 'serving_input_example.json'), 'w') as f:
        json.dump({'inputs': {'pixels': pixels}}, f)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'input': pixels, 'probabilities': probabilities.tolist()}, f)


if __name__ == '__main__':
    main()
