"""One minibatch update of skip-gram / CBOW with negative sampling, written as plain SGD.

Mikolov et al. 2013b eq. (4): for input vector h and output vectors u,
    log σ(u_o·h) + Σ_k log σ(−u_k·h),   k ~ P(w) ∝ count(w)^0.75.
The gradient is applied by hand, as word2vec.c does (no autograd, no optimizer): with
g = lr · (label − σ(u·h)), h += Σ g·u and u += g·h, for all rows of a minibatch at once through
`index_add_`, which sums the updates of a row that occurs several times (as sequential SGD would,
to first order).

Negatives are shared inside groups of consecutive examples (Ji et al. 2016, "Parallelizing
Word2Vec in Shared and Distributed Memory"): a group draws K samples and every example scores all
K with one batched matmul. An example with t targets weights each term by t·negative/K, so its
expected gradient equals that of `negative` private samples per target, while a sampled row gets
only about group·t·negative/K updates per step, which keeps big batches from over-stepping it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Minibatch:
    """Index tensors of one step; `owner`/`target_owner` count from 0 within the step."""

    rows: torch.Tensor
    owner: torch.Tensor | None  # None: one input row per example
    offsets: torch.Tensor | None  # first row of each example, None as above
    target: torch.Tensor
    target_owner: torch.Tensor | None  # None: one target per example
    targets_per_example: torch.Tensor  # float


def input_vectors(table: torch.Tensor, batch: Minibatch) -> torch.Tensor:
    """Mean of each example's input rows (fastText averages a word and its subwords)."""
    if batch.offsets is None:
        return F.embedding(batch.rows, table)
    return F.embedding_bag(batch.rows, table, batch.offsets, mode="mean")


def sgns_update(
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    batch: Minibatch,
    negatives: torch.Tensor,
    lr: float,
    negative: int,
    with_loss: bool = False,
) -> float:
    """Applies one SGD step in place; `negatives` is (groups, K); returns the loss if asked."""
    h = input_vectors(inputs, batch)
    grad_h, loss = output_step(
        outputs, h, batch.target, batch.target_owner, batch.targets_per_example,
        negatives, lr, negative, with_loss,
    )  # fmt: skip
    # fastText and word2vec.c add the full hidden-layer error to every input row of the bag.
    inputs.index_add_(
        0, batch.rows, grad_h if batch.owner is None else grad_h.index_select(0, batch.owner)
    )
    return loss


@dataclass(frozen=True)
class WindowBatch:
    """One CBOW step over a span of the text; positions count from the span's first word."""

    rows: torch.Tensor  # input rows of the span's words, in text order
    offsets: torch.Tensor | None  # first row of each span word; None: one row per word
    row_owner: torch.Tensor | None  # span word of each row, None as above
    centre: torch.Tensor  # span position of each centre
    lo: torch.Tensor  # span position of each window's first word
    hi: torch.Tensor  # end (exclusive) of each window
    inverse_count: torch.Tensor  # 1 / context words of each window
    target: torch.Tensor  # the centre words
    targets_per_example: torch.Tensor  # ones (float)


def cbow_window_update(
    inputs: torch.Tensor,
    outputs: torch.Tensor,
    batch: WindowBatch,
    negatives: torch.Tensor,
    lr: float,
    negative: int,
    with_loss: bool = False,
) -> float:
    """CBOW step that reads and writes each word of the span once, whatever the window size.

    h of a centre is the mean of its window minus itself: a difference of prefix sums over the
    span. Every context word gets the full error of each window that holds it (word2vec.c,
    fastText): a difference array (+error at lo, −error at hi) whose prefix sum, minus the
    centre's own error, is the summed error of each word. In subword mode a context word enters
    as the mean of its bag (fastText pools all rows of the window instead), so a word with many
    pieces does not outweigh its neighbours.
    """
    if batch.offsets is None:
        words = F.embedding(batch.rows, inputs)
    else:
        words = F.embedding_bag(batch.rows, inputs, batch.offsets, mode="mean")
    span, dim = words.shape
    prefix = F.pad(words, (0, 0, 1, 0)).cumsum_(0)
    h = prefix.index_select(0, batch.hi).sub_(prefix.index_select(0, batch.lo))
    h.sub_(words.index_select(0, batch.centre)).mul_(batch.inverse_count[:, None])
    grad_h, loss = output_step(
        outputs, h, batch.target, None, batch.targets_per_example, negatives, lr, negative,
        with_loss,
    )  # fmt: skip
    minus = grad_h.neg()
    change = words.new_zeros(span + 1, dim)
    change.index_add_(0, batch.lo, grad_h).index_add_(0, batch.hi, minus)
    per_word = change.cumsum_(0)[:span].index_add_(0, batch.centre, minus)
    if batch.row_owner is not None:
        per_word = per_word.index_select(0, batch.row_owner)
    inputs.index_add_(0, batch.rows, per_word)
    return loss


def output_step(
    outputs: torch.Tensor,
    h: torch.Tensor,
    target: torch.Tensor,
    target_owner: torch.Tensor | None,
    targets_per_example: torch.Tensor,
    negatives: torch.Tensor,
    lr: float,
    negative: int,
    with_loss: bool,
) -> tuple[torch.Tensor, float]:
    """Updates the output rows for inputs h; returns the step for h (and the loss if asked)."""
    n, dim = h.shape
    groups, k = negatives.shape
    h_t = h if target_owner is None else h.index_select(0, target_owner)
    u = F.embedding(target, outputs)
    score = (h_t * u).sum(1)
    g_pos = (1.0 - torch.sigmoid(score)).mul_(lr)
    per_group = -(-n // groups)
    weight = targets_per_example * (-lr * negative / k)
    if (pad := groups * per_group - n) > 0:
        h, weight = F.pad(h, (0, 0, 0, pad)), F.pad(weight, (0, pad))
    h_grouped = h.view(groups, per_group, dim)
    u_neg = F.embedding(negatives, outputs)
    neg_score = torch.bmm(h_grouped, u_neg.transpose(1, 2))
    g_neg = torch.sigmoid(neg_score).mul_(weight.view(groups, per_group, 1))
    grad_h = torch.bmm(g_neg, u_neg).view(-1, dim)[:n]
    if target_owner is None:
        grad_h.addcmul_(g_pos[:, None], u)
    else:
        grad_h.index_add_(0, target_owner, u * g_pos[:, None])
    outputs.index_add_(0, target, h_t * g_pos[:, None])
    update_neg = torch.bmm(g_neg.transpose(1, 2), h_grouped).view(-1, dim)
    outputs.index_add_(0, negatives.view(-1), update_neg)
    if not with_loss:
        return grad_h, 0.0
    neg_loss = -(F.logsigmoid(-neg_score).sum(-1).view(-1)[:n] * targets_per_example).sum()
    return grad_h, float((-F.logsigmoid(score).sum() + neg_loss * negative / k) / len(score))
