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
    row_cap: int = 0,
) -> float:
    """Applies one SGD step in place; `negatives` is (groups, K); returns the loss if asked.

    `row_cap` > 0 limits a bag row's update in one step to row_cap × its mean update.
    """
    n, dim = len(batch.targets_per_example), inputs.shape[1]
    groups, k = negatives.shape
    h = input_vectors(inputs, batch)
    h_t = h if batch.target_owner is None else h.index_select(0, batch.target_owner)
    u = F.embedding(batch.target, outputs)
    score = (h_t * u).sum(1)
    g_pos = (1.0 - torch.sigmoid(score)).mul_(lr)
    per_group = -(-n // groups)
    h_grouped = F.pad(h, (0, 0, 0, groups * per_group - n)).view(groups, per_group, dim)
    u_neg = F.embedding(negatives, outputs)
    neg_score = torch.bmm(h_grouped, u_neg.transpose(1, 2))
    weight = F.pad(batch.targets_per_example * (-lr * negative / k), (0, groups * per_group - n))
    g_neg = torch.sigmoid(neg_score).mul_(weight.view(groups, per_group, 1))
    grad_h = torch.bmm(g_neg, u_neg).view(-1, dim)[:n]
    if batch.target_owner is None:
        grad_h.addcmul_(g_pos[:, None], u)
    else:
        grad_h.index_add_(0, batch.target_owner, u * g_pos[:, None])
    outputs.index_add_(0, batch.target, h_t * g_pos[:, None])
    update_neg = torch.bmm(g_neg.transpose(1, 2), h_grouped).view(-1, dim)
    outputs.index_add_(0, negatives.view(-1), update_neg)
    # fastText and word2vec.c add the full hidden-layer error to every input row of the bag.
    inputs.index_add_(
        0, batch.rows, grad_h if batch.owner is None else grad_h.index_select(0, batch.owner)
    )
    if not with_loss:
        return 0.0
    neg_loss = -(F.logsigmoid(-neg_score).sum(-1).view(-1)[:n] * batch.targets_per_example).sum()
    return float((-F.logsigmoid(score).sum() + neg_loss * negative / k) / len(score))
