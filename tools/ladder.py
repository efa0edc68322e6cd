"""Instructor-only difficulty ladder for the embedded datasets (never shipped to students).

    python tools/ladder.py images [--models linear,mlp,cnn,resnet] [--budget 60]
    python tools/ladder.py segmentation
    python tools/ladder.py sequences

Trains each baseline on the public train split and prints its valid metric after each
epoch, with the wall time and the CPU time per thread (CPU seconds / threads: close to the
wall time an uncontended machine would need, so the numbers survive a busy machine).
The cards in datasets/*.md quote its output. On a busy machine pass `--threads 1`:
two PyTorch threads spin-wait for each other when one is descheduled, which inflates
the CPU time (a GRU step went from 0.06 to 3.8 CPU seconds).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import coursedata
import torch
import torch.nn.functional as F
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]


class Clock:
    """Wall time and CPU time per thread since construction."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def wall(self) -> float:
        return time.perf_counter() - self.wall0

    def cpu(self) -> float:
        return (time.process_time() - self.cpu0) / self.threads


# ---------------------------------------------------------------- images: models


class Centre(nn.Module):
    """Pixels in [0, 1] -> roughly zero mean, unit scale (large flat inputs need it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - 0.5) * 4.0


def linear_model() -> nn.Module:
    return nn.Sequential(Centre(), nn.Flatten(), nn.Linear(3 * 64 * 64, 6))


def mlp_model() -> nn.Module:
    return nn.Sequential(
        Centre(),
        nn.Flatten(),
        nn.Linear(3 * 64 * 64, 256),
        nn.ReLU(),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Linear(128, 6),
    )


def cnn_model() -> nn.Module:
    """The homework's small CNN: strided convs, global average pool (position invariance)."""

    def block(cin: int, cout: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU())

    return nn.Sequential(
        Centre(),
        block(3, 8),  # (B, 8, 32, 32): cheap early layers, ~1.1 M multiply-adds per image
        block(8, 16),
        block(16, 32),
        block(32, 64),  # (B, 64, 4, 4)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 6),
    )


class Residual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


def resnet_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 24, 3, 2, 1, bias=False),
        nn.BatchNorm2d(24),
        nn.ReLU(),  # (B, 24, 32, 32)
        Residual(24, 32, 2),
        Residual(32, 64, 2),
        Residual(64, 96, 2),  # (B, 96, 4, 4)
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(96, 6),
    )


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random flips and 90-degree turns (the classes are rotation invariant): (B, 3, H, W)."""
    if torch.rand(()) < 0.5:
        x = x.flip(3)
    return torch.rot90(x, int(torch.randint(0, 4, ())), dims=(2, 3))


IMAGE_MODELS: dict[str, tuple[Callable[[], nn.Module], float, bool, int, float]] = {
    # name: (constructor, Adam learning rate, augmentation, batch size, default budget)
    "linear": (linear_model, 1e-4, False, 128, 15.0),
    "mlp": (mlp_model, 1e-4, False, 128, 30.0),
    "cnn": (cnn_model, 2e-3, False, 64, 60.0),
    "resnet": (resnet_model, 3e-3, True, 64, 120.0),
}


def batches(x: torch.Tensor, y: torch.Tensor, size: int, shuffle: bool) -> Iterator[Batch]:
    order = torch.randperm(len(x)) if shuffle else torch.arange(len(x))
    for start in range(0, len(x), size):
        idx = order[start : start + size]
        yield x[idx].float().div_(255.0), y[idx]


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in batches(x, y, 500, shuffle=False):
            correct += int((model(xb).argmax(1) == yb).sum())
    model.train()
    return correct / len(x)


def ladder_images(root: Path, models: list[str], budget_s: float | None, threads: int) -> None:
    train = coursedata.ImageClassification(root, "train")
    valid = coursedata.ImageClassification(root, "valid")
    for name in models:
        make, lr, aug, batch_size, default_budget = IMAGE_MODELS[name]
        budget = budget_s if budget_s is not None else default_budget
        torch.manual_seed(0)
        model = make()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        clock = Clock(threads)
        epoch = 0
        best = 0.0
        while clock.cpu() < budget:
            epoch += 1
            for xb, yb in batches(train.images, train.labels, batch_size, shuffle=True):
                loss = F.cross_entropy(model(augment(xb) if aug else xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            acc = accuracy(model, valid.images, valid.labels)
            best = max(best, acc)
            print(
                f"images {name:7s} epoch {epoch:3d}  valid acc {acc:.3f}  "
                f"wall {clock.wall():6.1f}s  cpu/thread {clock.cpu():6.1f}s",
                flush=True,
            )
        print(f"images {name:7s} RESULT best valid acc {best:.3f} in {epoch} epochs", flush=True)


# ---------------------------------------------------------------- segmentation


def colour_model() -> nn.Module:
    """Per-pixel colour classifier: 1x1 convolutions see one pixel, no context."""
    return nn.Sequential(
        Centre(),
        nn.Conv2d(3, 32, 1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 1),
        nn.ReLU(),
        nn.Conv2d(32, 5, 1),
    )


class FCN(nn.Module):
    """A small U-Net: three strided downsamplings (receptive field ~40 px, wider than a
    rock or the track), upsampling with skip connections at every scale."""

    def __init__(self) -> None:
        super().__init__()

        def conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()
            )

        self.e1, self.e2 = conv(3, 16), conv(16, 32, 2)
        self.e3, self.e4 = conv(32, 64, 2), conv(64, 96, 2)
        self.d3 = conv(96 + 64, 64)
        self.d2 = conv(64 + 32, 32)
        self.d1 = conv(32 + 16, 16)
        self.head = nn.Conv2d(16, 5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 0.5) * 4.0
        a = self.e1(x)  # (B, 16, 96, 128)
        b = self.e2(a)  # (B, 32, 48, 64)
        c = self.e3(b)  # (B, 64, 24, 32)
        d = self.e4(c)  # (B, 96, 12, 16)
        for skip, conv in ((c, self.d3), (b, self.d2), (a, self.d1)):
            d = conv(torch.cat([F.interpolate(d, scale_factor=2.0), skip], 1))
        return self.head(d)  # (B, 5, 96, 128)


def class_iou(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(IoU per class (5,), pixel accuracy) on uint8 images x and masks y."""
    model.eval()
    inter = torch.zeros(5)
    union = torch.zeros(5)
    correct = 0
    with torch.no_grad():
        for xb, yb in batches(x, y, 50, shuffle=False):
            pred = model(xb).argmax(1)
            yb = yb.long()
            correct += int((pred == yb).sum())
            for k in range(5):
                inter[k] += ((pred == k) & (yb == k)).sum()
                union[k] += ((pred == k) | (yb == k)).sum()
    model.train()
    return inter / union.clamp(min=1), correct / y.numel()


def class_weights(masks: torch.Tensor) -> torch.Tensor:
    """1 / sqrt(pixel share) per class, mean 1: rare classes are not simply ignored."""
    share = torch.bincount(masks.reshape(-1).long(), minlength=5).double() / masks.numel()
    w = share.clamp(min=1e-6).rsqrt()
    return (w / w.mean()).float()


SEGMENTATION_BUDGETS = {"colour": 100.0, "fcn": 450.0}  # default CPU seconds per model


def ladder_segmentation(
    root: Path, models: list[str], budget_s: float | None, threads: int
) -> None:
    train = coursedata.Segmentation(root, "train")
    valid = coursedata.Segmentation(root, "valid")
    makers: dict[str, Callable[[], nn.Module]] = {"colour": colour_model, "fcn": FCN}
    weights = class_weights(train.masks)
    print("segmentation class weights " + " ".join(f"{w:.2f}" for w in weights.tolist()))
    for name in models:
        torch.manual_seed(0)
        model = makers[name]()
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        budget = budget_s if budget_s is not None else SEGMENTATION_BUDGETS[name]
        clock = Clock(threads)
        epoch, best = 0, (0.0, 0.0)
        while clock.cpu() < budget:
            epoch += 1
            for xb, yb in batches(train.images, train.masks, 8, shuffle=True):
                loss = F.cross_entropy(model(xb), yb.long(), weight=weights)
                opt.zero_grad()
                loss.backward()
                opt.step()
            iou, acc = class_iou(model, valid.images, valid.masks)
            miou = float(iou.mean())
            best = max(best, (miou, acc))
            per_class = " ".join(f"{v:.2f}" for v in iou.tolist())
            print(
                f"segmentation {name:6s} epoch {epoch:3d}  valid mIoU {miou:.3f} [{per_class}]  "
                f"pixel acc {acc:.3f}  wall {clock.wall():6.1f}s  cpu/thread {clock.cpu():6.1f}s",
                flush=True,
            )
        print(
            f"segmentation {name:6s} RESULT best valid mIoU {best[0]:.3f} (pixel acc "
            f"{best[1]:.3f}) in {epoch} epochs",
            flush=True,
        )


# ---------------------------------------------------------------- sequences


class CharGRU(nn.Module):
    def __init__(self, vocab: int, hidden: int = 128) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.rnn = nn.GRU(32, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.embed(tokens))  # (B, L, hidden)
        return self.out(h)  # (B, L, V): logits for the next character


def rnn_nll(model: nn.Module, tokens: torch.Tensor) -> float:
    """Mean NLL (nats) of characters 1..L-1 given their prefixes."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(tokens), 500):
            tb = tokens[start : start + 500].long()
            logits = model(tb[:, :-1])
            total += float(F.cross_entropy(logits.transpose(1, 2), tb[:, 1:], reduction="sum"))
    model.train()
    return total / (len(tokens) * (tokens.shape[1] - 1))


def ladder_sequences(root: Path, budget_s: float, threads: int) -> None:
    train = coursedata.Sequences(root, "train").tokens
    valid = coursedata.Sequences(root, "valid").tokens
    v = len(coursedata.VOCAB)
    floor = coursedata.optimal_nll(valid.numpy())[:, 1:].mean()
    print(f"sequences source (optimal) NLL {floor:.3f} nats/char (valid, characters 1..L-1)")
    tr = train.long()
    counts = torch.full((v, v), 0.1)
    counts.index_put_(
        (tr[:, :-1].reshape(-1), tr[:, 1:].reshape(-1)),
        torch.ones(tr[:, 1:].numel()),
        accumulate=True,
    )
    logp = (counts / counts.sum(1, keepdim=True)).log()
    va = valid.long()
    bigram = float(-logp[va[:, :-1], va[:, 1:]].mean())
    print(f"sequences bigram NLL {bigram:.3f} nats/char")
    torch.manual_seed(0)
    model = CharGRU(v)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    clock = Clock(threads)
    epoch, best = 0, float("inf")
    while clock.cpu() < budget_s:
        epoch += 1
        for start in range(0, len(train), 64):
            tb = train[start : start + 64].long()  # rows are i.i.d.: no shuffling needed
            loss = F.cross_entropy(model(tb[:, :-1]).transpose(1, 2), tb[:, 1:])
            opt.zero_grad()
            loss.backward()
            opt.step()
        nll = rnn_nll(model, valid)
        best = min(best, nll)
        print(
            f"sequences gru epoch {epoch:3d}  valid NLL {nll:.3f}  wall {clock.wall():6.1f}s  "
            f"cpu/thread {clock.cpu():6.1f}s",
            flush=True,
        )
    print(
        f"sequences RESULT source {floor:.3f}  bigram {bigram:.3f}  GRU {best:.3f} nats/char "
        f"({epoch} epochs)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", choices=coursedata.DATASETS)
    parser.add_argument("--models", default=None, help="comma-separated subset (default: all)")
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="CPU seconds per thread per model, checked after each epoch "
        "(default: images linear 15, mlp 30, cnn 60, resnet 120; segmentation colour 100, "
        "fcn 450; sequences 60)",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument(
        "--root", default=None, help="data root (default: a fresh temporary directory)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.root) if args.root else Path(tmp)
        coursedata.generate(args.dataset, root=root, progress=False)
        if args.dataset == "images":
            names = args.models.split(",") if args.models else list(IMAGE_MODELS)
            ladder_images(root, names, args.budget, args.threads)
        elif args.dataset == "segmentation":
            names = args.models.split(",") if args.models else ["colour", "fcn"]
            ladder_segmentation(root, names, args.budget, args.threads)
        else:
            ladder_sequences(root, args.budget or 60.0, args.threads)


if __name__ == "__main__":
    main()
