"""The weights file is a pickle whose payload leaves a flag if the trusted parent (which
can see the hidden labels) ever unpickles it."""

import torch
from torch import nn

PAYLOAD = (
    "import os\n"
    "if os.path.exists('@@LABELS@@'):\n"
    "    open(os.path.join('@@FLAG_DIR@@', 'unpickled-in-parent'), 'w').close()\n"
)


class Payload:
    def __reduce__(self):
        return (exec, (PAYLOAD,))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def save_model(model, path):
    torch.save({"fc.weight": Payload(), "state": model.state_dict()}, path)


def load_model(path):
    torch.load(path, weights_only=False)  # runs the payload here, in the sandbox
    return Model()
