"""Task 1: a character-level recurrent language model.

At every position t the model reads token t and predicts token t + 1:

    tokens (B, L) int64 -> Embedding -> (B, L, E) -> RNN / GRU / LSTM -> (B, L, H)
                        -> Linear -> logits (B, L, V)

logits[:, t] may depend on tokens[:, :t + 1] only: the recurrence runs left to right, so
the model never peeks at the character it has to predict. The recurrent state after the
last position summarises the whole prefix; `forward_with_state` returns it, and feeding
it back in continues the sequence exactly where it stopped (that is how text is generated
one character at a time).

Parameters, for vocabulary V, embedding E, hidden H and `num_layers` layers:

    Embedding: V * E;   Linear head: H * V + V
    each recurrent layer: G * (H * D + H * H + 2 * H), D = E for the first layer, else H,
    with G = 1 gate block for "rnn", 3 for "gru", 4 for "lstm"
"""

from __future__ import annotations

import torch
from torch import nn

from .data import VOCAB_SIZE

# The recurrent state: a tensor (num_layers, B, H), or for an LSTM the pair (h, c).
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class CharRNN(nn.Module):
    """Embedding -> recurrent cell -> linear head: next-character logits at every position."""

    def __init__(
        self,
        vocab_size: int = VOCAB_SIZE,
        embed_dim: int = 32,
        hidden_dim: int = 128,
        *,
        cell: str = "gru",
        num_layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        """Build the layers.

        Args:
            vocab_size: number of distinct tokens V (the logits' last dimension).
            embed_dim: size E of each token's embedding vector.
            hidden_dim: size H of the recurrent state.
            cell: "rnn" (nn.RNN, tanh), "gru" (nn.GRU) or "lstm" (nn.LSTM).
            num_layers: stacked recurrent layers.
            dropout: probability of zeroing a unit of the embeddings and of the recurrent
                outputs during training (off in eval mode), in [0, 1).

        Use nn.Embedding, the nn.RNN / nn.GRU / nn.LSTM module with batch_first=True and
        its default biases, and nn.Linear (with bias); no other layer with parameters.
        """
        super().__init__()
        # TODO (Task 1): an nn.Embedding(vocab_size, embed_dim); the recurrent module
        #   CELLS[cell](embed_dim, hidden_dim, num_layers=num_layers, batch_first=True)
        #   (reject an unknown cell with a ValueError); one nn.Dropout(dropout) module;
        #   an nn.Linear from hidden_dim to vocab_size.
        raise NotImplementedError("Task 1: CharRNN.__init__")

    def forward_with_state(
        self, tokens: torch.Tensor, state: State | None = None
    ) -> tuple[torch.Tensor, State]:
        """Run the model over `tokens`, starting from `state`.

        Args:
            tokens: (B, L) int64 token indices.
            state: the state returned by an earlier call, to continue those sequences;
                None starts from zeros.

        Returns:
            logits (B, L, V) and the state after the last position.
        """
        # TODO (Task 1): embed (B, L) -> (B, L, E) and apply dropout; run the recurrent
        #   module from `state` (it returns every position's output (B, L, H) and the
        #   final state); dropout again, then the linear head -> (B, L, V).
        raise NotImplementedError("Task 1: CharRNN.forward_with_state")

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, L, V) for tokens (B, L) int64, from the zero state."""
        # TODO (Task 1): forward_with_state without a state; keep the logits only.
        raise NotImplementedError("Task 1: CharRNN.forward")
