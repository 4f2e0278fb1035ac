"""The network: stacked LSTMs, softmax self-attention over time steps, a probabilistic head.

Importing this module needs PyTorch; without it a :class:`~cryptofolio.errors.ForecastError`
says how to install the ``forecast`` extra.
"""

from __future__ import annotations

from cryptofolio.forecast._torch import import_torch
from cryptofolio.forecast.config import HeadKind, ModelConfig

torch = import_torch()
nn = torch.nn

LOG_VAR_BOUNDS = (-12.0, 6.0)  # keeps exp(log-variance) finite in float32 (z-scored target)


class LSTMAttentionNet(nn.Module):
    """Window of features -> next-period return distribution.

    Architecture (sizes from :class:`~cryptofolio.forecast.config.ModelConfig`):

    1. optional asset embedding, appended to each time step's features;
    2. stacked LSTM layers (default 128 then 64 units), dropout after each;
    3. additive self-attention over the L time steps:
       :math:`s_t = v^\\top \\tanh(W h_t)`, :math:`a = \\mathrm{softmax}(s)`,
       context :math:`c = \\sum_t a_t h_t`;
    4. a linear head on ``[c, h_L]`` giving either (mean, log-variance) of the normalised
       target (Gaussian head) or one value per quantile level (quantile head).

    ``forward`` returns ``(output, attention)`` with attention weights of shape (batch, L)
    that sum to one over the time steps.
    """

    def __init__(self, n_features: int, n_assets: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        emb = config.asset_embedding_dim
        self.embedding = nn.Embedding(n_assets, emb) if emb > 0 else None
        sizes = (n_features + emb, *config.hidden_sizes)
        self.lstms = nn.ModuleList(
            nn.LSTM(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(sizes) - 1)
        )
        self.dropout = nn.Dropout(config.dropout)
        last = config.hidden_sizes[-1]
        self.attention_proj = nn.Linear(last, config.attention_size)
        self.attention_score = nn.Linear(config.attention_size, 1, bias=False)
        n_out = 2 if config.head is HeadKind.GAUSSIAN else len(config.quantiles)
        self.head = nn.Linear(2 * last, n_out)

    def forward(self, x, asset_codes=None):  # type: ignore[no-untyped-def]
        """``x``: (batch, L, F) float; ``asset_codes``: (batch,) long (needed with an embedding)."""
        if self.embedding is not None:
            if asset_codes is None:
                raise ValueError("asset_codes are required when the model has an asset embedding")
            e = self.embedding(asset_codes).unsqueeze(1).expand(-1, x.shape[1], -1)
            x = torch.cat([x, e], dim=-1)
        h = x
        for lstm in self.lstms:
            h, _ = lstm(h)
            h = self.dropout(h)
        scores = self.attention_score(torch.tanh(self.attention_proj(h))).squeeze(-1)
        attention = torch.softmax(scores, dim=1)
        context = (attention.unsqueeze(-1) * h).sum(dim=1)
        out = self.head(torch.cat([context, h[:, -1]], dim=-1))
        if self.config.head is HeadKind.GAUSSIAN:
            mean = out[:, 0]
            log_var = out[:, 1].clamp(*LOG_VAR_BOUNDS)
            out = torch.stack([mean, log_var], dim=1)
        return out, attention


def gaussian_nll(output, target):  # type: ignore[no-untyped-def]
    """Mean Gaussian negative log-likelihood (constant dropped) of (mean, log-variance)."""
    mean, log_var = output[:, 0], output[:, 1]
    return 0.5 * (log_var + (target - mean) ** 2 / torch.exp(log_var)).mean()


def pinball_loss(output, target, quantiles):  # type: ignore[no-untyped-def]
    """Mean pinball (quantile) loss over the quantile levels."""
    q = torch.as_tensor(quantiles, dtype=output.dtype, device=output.device)
    diff = target.unsqueeze(1) - output
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def loss_function(config: ModelConfig):  # type: ignore[no-untyped-def]
    """The training loss of the configured head."""
    if config.head is HeadKind.GAUSSIAN:
        return gaussian_nll
    quantiles = list(config.quantiles)
    return lambda output, target: pinball_loss(output, target, quantiles)
