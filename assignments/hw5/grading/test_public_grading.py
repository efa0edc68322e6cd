"""Homework 5, public graded suite: `make grade HW=hw5` in the student release.

It runs through the same engine as the hidden suite (your code in a sandboxed worker, the
same time budget for `train`) and gives each task the handout's points, but it checks
fewer cases and scores your model on the *validation* text you have. Its total is an
estimate: the hidden suite, with more checks and hidden test text, decides the grade.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from coursedata import VOCAB, optimal_nll
from torch import nn

from grader.suitekit import (
    GraderSideFailure,
    InvalidValue,
    band_points,
    expect_number,
    expect_tensor,
    load_targets,
    number,
    partial_credit,
    train_student,
    weight,
)

V = len(VOCAB)  # 28 characters
RECURRENT = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
LR, MOMENTUM = 0.2, 0.9  # the SGD of the loop test
BUDGET_UNITS = 90  # the same training budget as the hidden suite
# Linear band on (NLL - floor) / (bigram NLL - floor) on the 2,000 validation rows (floor
# 2.1357, bigram 2.5302 nats/char), lower is better: the reference (GRU, 3 epochs) reaches
# 0.056, 0.046 and 0.044 with seeds 0-2; trained on the valid rows themselves 0.22.
RATIO_FULL, RATIO_ZERO = 0.10, 0.50


def _tokens(rows: int, length: int, seed: int) -> torch.Tensor:
    return torch.randint(V, (rows, length), generator=torch.Generator().manual_seed(seed))


def _logits(value: object, rows: int, length: int, name: str = "CharRNN output") -> torch.Tensor:
    return expect_tensor(value, shape=(rows, length, V), dtype=torch.float32, name=name)


def _nll(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """float64 (B, L - 1): the NLL in nats of each next character, computed here."""
    scores = logits[:, :-1].double().transpose(1, 2)  # (B, V, L - 1)
    return F.cross_entropy(scores, tokens[:, 1:], reduction="none")


def _strong(model, seed: int, gain: float = 2.0):
    """The model with weights redrawn larger than PyTorch's default, so that its logits
    spread out and depend on the whole history; returns the model."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, value in model.state_dict().items():
        value = expect_tensor(value, name=name)
        scale = gain / math.sqrt(value.shape[-1]) if value.dim() > 1 else 0.1
        state[name] = scale * torch.randn(value.shape, generator=gen)
    model.load_state_dict(state)
    return model


def _pair(value: object, name: str) -> tuple:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return tuple(value)
    raise InvalidValue(f"{name} should return a pair (logits, state)")


def _expected_count(embed: int, hidden: int, cell: str, layers: int) -> int:
    parts = (nn.Embedding(V, embed), RECURRENT[cell](embed, hidden, layers), nn.Linear(hidden, V))
    return sum(p.numel() for part in parts for p in part.parameters())


@number("1.1")
@partial_credit(14)
def test_char_rnn_shapes_size_and_causality(student, set_score):
    """Task 1: CharRNN gives (B, L, 28) logits, the handout's parameter count, no peeking"""
    configs = [(8, 20, cell, 1) for cell in RECURRENT] + [(6, 12, "lstm", 2)]
    wrong = [
        c
        for c in configs
        if student.models.CharRNN(V, *c[:2], cell=c[2], num_layers=c[3]).parameter_count()
        != _expected_count(*c)
    ]
    for cell in RECURRENT:
        model = student.models.CharRNN(embed_dim=8, hidden_dim=20, cell=cell)
        for rows, length in ((1, 1), (4, 13)):
            _logits(model(_tokens(rows, length, seed=length)), rows, length)
    peeks = reads = 0
    cuts = (1, 7, 19, 30)
    for k, cell in enumerate(("gru", "lstm")):
        base = _tokens(1, 32, seed=11 + k).repeat(len(cuts) + 1, 1)  # row 0 stays as it is
        for row, cut in enumerate(cuts, start=1):
            base[row, cut:] = (base[row, cut:] + row) % V
        model = _strong(student.models.CharRNN(embed_dim=8, hidden_dim=20, cell=cell), 13 + k)
        logits = _logits(model.eval()(base), len(cuts) + 1, 32)
        for row, cut in enumerate(cuts, start=1):
            peeks += not torch.allclose(logits[row, :cut], logits[0, :cut], atol=1e-5)
            reads += not torch.allclose(logits[row, cut], logits[0, cut], atol=1e-5)
    causal = peeks == 0 and reads == 2 * len(cuts)
    set_score(5.0 + 5.0 * (not wrong) + 4.0 * causal)
    assert not wrong, (
        f"CharRNN(embed, hidden, cell, num_layers) has the wrong number of parameters for "
        f"{[c[2:] for c in wrong]}: use one nn.Embedding, the nn.RNN / nn.GRU / nn.LSTM of "
        "the cell (default biases, one direction) and one nn.Linear head, nothing else"
    )
    assert causal, (
        f"{peeks} of {2 * len(cuts)} predictions changed when only later tokens changed, and "
        f"{2 * len(cuts) - reads} did not change with their own token: the logits at t must "
        "read tokens 0..t and nothing after (a left-to-right recurrence, not bidirectional)"
    )


@number("1.2")
@partial_credit(16)
def test_char_rnn_gradients_dropout_and_state(student, set_score):
    """Task 1: every parameter gets a gradient, dropout follows the mode, the state continues"""
    model = student.models.CharRNN(embed_dim=8, hidden_dim=16, cell="lstm").train()
    grads = model.gradients(_tokens(2, 9, seed=20), weights=torch.randn(2, 9, V)).params
    dead = [name for name, g in grads.items() if g is None or not torch.any(g != 0)]
    tokens = _tokens(5, 12, seed=21)
    model = student.models.CharRNN(embed_dim=16, hidden_dim=32, dropout=0.5).train()
    noisy = not torch.equal(_logits(model(tokens), 5, 12), _logits(model(tokens), 5, 12))
    model.eval()
    clean = _logits(model(tokens), 5, 12)
    steady = torch.equal(clean, _logits(model(tokens), 5, 12))
    steady = steady and torch.allclose(_logits(model(tokens[3:4]), 1, 12)[0], clean[3], atol=1e-5)
    carried = 0
    for k, cell in enumerate(("gru", "lstm")):
        model = _strong(student.models.CharRNN(embed_dim=8, hidden_dim=24, cell=cell), 22 + k)
        tokens = _tokens(3, 25, seed=24 + k)
        whole = _logits(model.eval()(tokens), 3, 25)
        name = f"CharRNN(cell={cell!r}).forward_with_state"
        first, state = _pair(model.forward_with_state(tokens[:, :9]), name)
        rest, _ = _pair(model.forward_with_state(tokens[:, 9:], state), name)
        joined = torch.cat([_logits(first, 3, 9, name), _logits(rest, 3, 16, name)], dim=1)
        carried += torch.allclose(joined, whole, atol=1e-4, rtol=1e-4)
    set_score(5.0 * (grads != {} and not dead) + 5.0 * (noisy and steady) + 3.0 * carried)
    assert grads and not dead, (
        f"parameters {dead} got no (or an all-zero) gradient: use every layer in forward, "
        "with no .detach() or torch.no_grad() inside it"
    )
    assert noisy and steady, (
        "with dropout=0.5 the logits must change between two passes in train() mode and be "
        "identical, and independent of the other rows, in eval() mode (use nn.Dropout)"
    )
    assert carried == 2, (
        "running tokens[:, :9], then tokens[:, 9:] from the state it returned, does not give "
        "the logits of one pass: return the state after the last position (for an LSTM the "
        "pair (h, c)) and start from the state you are given"
    )


@number("2.1")
@weight(6)
def test_next_char_loss(student):
    """Task 2: next_char_loss is the mean NLL in nats of every next character"""
    for rows, length in ((2, 7), (3, 20)):
        logits, tokens = torch.randn(rows, length, V) * 3, _tokens(rows, length, seed=length)
        got = expect_tensor(student.loss.next_char_loss(logits, tokens), shape=(), name="loss")
        want = _nll(logits, tokens).mean().item()
        assert abs(got.item() - want) <= 1e-4 * want, (
            f"next_char_loss gave {got.item():.4f} for a ({rows}, {length}) batch, expected "
            f"{want:.4f}: the mean over B * (L - 1) predictions of -ln softmax(logits[:, t]) "
            "at tokens[:, t + 1] (natural log, a mean, the target is the next character)"
        )


@number("2.2")
@partial_credit(14)
def test_sequence_nll(student, set_score):
    """Task 2: sequence_nll is the eval-mode NLL per character, under no_grad, in eval mode"""
    model = _strong(student.models.CharRNN(embed_dim=16, hidden_dim=32, dropout=0.5), 25)
    tokens = _tokens(30, 20, seed=26)  # batches of 12, 12 and 6 rows
    model.train()
    model.record_grad_modes()
    got = expect_number(student.loss.sequence_nll(model, tokens, batch_size=12), name="NLL")
    modes, left_in_eval = model.grad_modes(), not model.training
    model.eval()
    want = _nll(_logits(model.predict(tokens, output="logits", batch_size=30), 30, 20), tokens)
    right = math.isclose(got, want.mean().item(), rel_tol=1e-4)
    set_score(8.0 * right + 3.0 * left_in_eval + 3.0 * (bool(modes) and not any(modes)))
    assert right, (
        f"sequence_nll gave {got:.4f}, expected {want.mean().item():.4f}: the mean NLL in nats "
        "of characters 1..L-1 of every row, each character counted once (not a mean of "
        "batch means), with dropout off"
    )
    assert left_in_eval and modes and not any(modes), (
        "sequence_nll must run the model under torch.no_grad() and leave it in eval() mode"
    )


def _trusted_epoch(model, start: dict, batches: list, clip: float) -> tuple[dict, float, list]:
    """Clipped SGD with momentum from `start`, done here on the gradients of the student's
    model: the parameters after the epoch, the mean loss, the gradient norms."""
    params, velocity, losses, norms = dict(start), {}, [], []
    for tokens in batches:
        model.load_state_dict(params, strict=False)
        logits = _logits(model(tokens), *tokens.shape).double().requires_grad_(True)
        loss = _nll(logits, tokens).mean()
        (upstream,) = torch.autograd.grad(loss, logits)
        grads = model.gradients(tokens, weights=upstream.float()).params
        if any(grads.get(name) is None for name in params):
            raise InvalidValue("a CharRNN parameter got no gradient (Task 1)")
        norm = math.sqrt(sum(float(grads[name].double().square().sum()) for name in params))
        factor = min(1.0, clip / (norm + 1e-6))
        for name in params:
            velocity[name] = MOMENTUM * velocity.get(name, 0.0) + factor * grads[name]
            params[name] = params[name] - LR * velocity[name]
        losses.append(loss.item())
        norms.append(norm)
    return params, sum(losses) / len(losses), norms


def _epochs(student, seed: int, tight: bool) -> tuple[float, float, object, bool]:
    """(relative distance of the student's step from the trusted one, trusted mean loss,
    student's return value, student's model left in train mode)."""
    model = _strong(student.models.CharRNN(embed_dim=8, hidden_dim=16, cell="gru"), seed, 1.0)
    start, batches = model.named_parameters(), [_tokens(5, 12, seed=seed + i) for i in range(3)]
    norms = _trusted_epoch(model, start, batches, math.inf)[2]
    clip = min(norms) / 5 if tight else 100 * max(norms)
    want, mean_loss, norms = _trusted_epoch(model, start, batches, clip)
    if tight and min(norms) < 2 * clip:
        raise GraderSideFailure("the loop test found no clip norm below every gradient norm")
    model.load_state_dict(start, strict=False)
    optimizer = student.loop.make_optimizer(model.eval(), name="sgd", lr=LR, momentum=MOMENTUM)
    returned = student.loop.train_one_epoch(model, batches, optimizer, clip_norm=clip)
    got = model.named_parameters()
    error = sum(float((got[k] - want[k]).square().sum()) for k in want)
    step = sum(float((want[k] - start[k]).square().sum()) for k in want)
    return math.sqrt(error / step), mean_loss, returned, model.training


@number("3")
@partial_credit(16)
@pytest.mark.timeout(60)  # the first optimizer a process builds takes seconds
def test_epoch_clips_the_gradient_norm(student, set_score):
    """Task 3: train_one_epoch matches clipped SGD done by the grader, returns the mean loss"""
    tight = _epochs(student, seed=30, tight=True)[0]
    loose, mean_loss, returned, training = _epochs(student, seed=33, tight=False)
    returned = expect_number(returned, name="train_one_epoch's return value")
    loss_right = abs(returned - mean_loss) <= 1e-4 * mean_loss and training
    set_score(10.0 * (tight < 1e-3) + 3.0 * (loose < 1e-3) + 3.0 * loss_right)
    assert tight < 1e-3, (
        f"with a small clip_norm the parameters are off by {tight:.1%} of the expected steps: "
        "per batch one zero_grad(), backward() of next_char_loss, clip_grad_norm_(parameters, "
        "clip_norm) of all parameters together, and step(), in that order"
    )
    assert loose < 1e-3, (
        f"with a clip_norm far above the gradient norms the epoch is off plain SGD by "
        f"{loose:.1%}: clipping only shrinks gradients whose norm exceeds clip_norm"
    )
    assert loss_right, (
        f"train_one_epoch returned {returned:.4f} (expected {mean_loss:.4f}, the mean of the "
        "batch losses taken before each step) or left the model in eval() mode"
    )


def _generated(student, model, prefix: str, n: int, **kwargs) -> tuple[str, torch.Tensor]:
    """The sampled text, and for each of its characters the logits that preceded it."""
    text = student.sample.sample(model, prefix, n, **kwargs)
    if not isinstance(text, str) or len(text) != n or set(text) - set(VOCAB):
        raise InvalidValue(f"sample should return a str of {n} vocabulary characters")
    ids = torch.tensor([[VOCAB.index(c) for c in prefix + text]])
    return text, _logits(model(ids), 1, ids.shape[1])[0, len(prefix) - 1 : -1]


def _argmax_share(text: str, logits: torch.Tensor) -> float:
    """The share of the characters of `text` that are the argmax of their logits (ties of
    1e-4 count as the argmax: float rounding may break them either way)."""
    chosen = torch.tensor([VOCAB.index(c) for c in text])[:, None]
    top = logits.amax(dim=-1, keepdim=True)
    return (logits.gather(-1, chosen) >= top - 1e-4).double().mean().item()


@number("4.1")
@weight(5)
def test_greedy_sampling(student):
    """Task 4: with temperature 0 each character is the argmax given everything before it"""
    for k, cell in enumerate(("gru", "lstm")):
        model = _strong(student.models.CharRNN(embed_dim=16, hidden_dim=48, cell=cell), 40 + k)
        share = _argmax_share(*_generated(student, model.eval(), "3 [c", 60, temperature=0.0))
        assert share == 1.0, (
            f"{1 - share:.0%} of the greedy characters ({cell.upper()}) are not the most likely "
            "one: feed the prefix once, then each new character with the state the last call "
            "returned, and take the argmax of the last position's logits"
        )


@number("4.2")
@partial_credit(9)
def test_seeded_sampling_and_temperature(student, set_score):
    """Task 4: the same seed gives the same text; low T is near greedy, high T near uniform"""
    model = _strong(student.models.CharRNN(embed_dim=16, hidden_dim=48), 42).eval()

    def text(seed: int, temperature: float = 1.0) -> tuple[str, torch.Tensor]:
        generator = student.sample.make_generator(seed)
        return _generated(student, model, "0", 80, temperature=temperature, generator=generator)

    seeded = text(7)[0] == text(7)[0] != text(8)[0]
    sharp, flat = _argmax_share(*text(9, 0.05)), _argmax_share(*text(10, 20.0))
    set_score(4.0 * seeded + 5.0 * (sharp >= 0.8 and flat <= 0.5))
    assert seeded, "pass `generator` to torch.multinomial: the same seed must give the same text"
    assert sharp >= 0.8 and flat <= 0.5, (
        f"{sharp:.0%} of the characters at T=0.05 and {flat:.0%} at T=20 are the argmax: "
        "draw from softmax(logits / T), so a low T is nearly greedy and a high T nearly uniform"
    )


def _bigram_nll(train: np.ndarray, rows: np.ndarray) -> float:
    counts = np.ones((V, V)) * 0.1
    np.add.at(counts, (train[:, :-1].ravel(), train[:, 1:].ravel()), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)
    return float(-np.log(probs[rows[:, :-1], rows[:, 1:]]).mean())


@number("5")
@partial_credit(20)
def test_training_reaches_validation_nll(student, grader_session, set_score):
    """Task 5: train returns a CharRNN; its validation NLL against the floor (linear band)"""
    trained = train_student(grader_session, budget_units=BUDGET_UNITS)
    try:
        model = trained.require()
        rows = load_targets(trained, "sequences", "valid").astype(np.int64)
        inputs = torch.from_numpy(rows[:, :-1])  # the last character is only a target
        model.eval()
        with trained.charged():
            logits = _logits(model.predict(inputs, output="logits", batch_size=250), *inputs.shape)
            cut = _logits(
                model.predict(inputs[:100, :30], output="logits", batch_size=100), 100, 30
            )
        if not torch.allclose(cut, logits[:100, :30], atol=1e-3, rtol=1e-3):
            raise InvalidValue("the predictions change when later text is removed: no peeking")
        is_char_rnn = model.remote_type.endswith(".CharRNN")
    finally:
        trained.close()
    targets = torch.from_numpy(rows[:, 1:])  # (N, 63): the character after each input
    nll = F.cross_entropy(logits.double().transpose(1, 2), targets).item()
    floor = float(optimal_nll(rows)[:, 1:].mean())
    bigram = _bigram_nll(load_targets(trained, "sequences", "train").astype(np.int64), rows)
    ratio = (nll - floor) / (bigram - floor)
    set_score(4.0 * is_char_rnn + band_points(ratio, low=RATIO_ZERO, high=RATIO_FULL, points=16))
    assert is_char_rnn, f"train returned a {model.remote_type}, not the trained CharRNN"
    assert ratio <= RATIO_FULL, (
        f"validation NLL {nll:.4f} nats/char (floor {floor:.4f}, bigram {bigram:.4f}): your gap "
        f"to the floor is {ratio:.2f} of the bigram's; full credit from {RATIO_FULL} (none "
        f"from {RATIO_ZERO}). Watch valid_nll in train_log.txt and tune size, lr or epochs"
    )
