"""The network: shapes, attention weights, losses against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scipy.stats import norm  # noqa: E402

from cryptofolio.forecast.config import HeadKind, ModelConfig  # noqa: E402
from cryptofolio.forecast.model import LSTMAttentionNet, gaussian_nll, pinball_loss  # noqa: E402


@pytest.mark.parametrize("emb", [0, 3])
def test_shapes_and_attention_sums_to_one(emb):
    torch.manual_seed(0)
    cfg = ModelConfig(hidden_sizes=(8, 4), asset_embedding_dim=emb)
    net = LSTMAttentionNet(n_features=2, n_assets=5, config=cfg).eval()
    x = torch.randn(7, 12, 2)
    codes = torch.tensor([0, 1, 2, 3, 4, 0, 1])
    out, att = net(x, codes)
    assert out.shape == (7, 2) and att.shape == (7, 12)
    assert torch.all(att >= 0)
    torch.testing.assert_close(att.sum(dim=1), torch.ones(7))
    assert [m.hidden_size for m in net.lstms] == [8, 4]


def test_default_architecture_is_128_then_64():
    net = LSTMAttentionNet(3, 1, ModelConfig())
    assert [(m.input_size, m.hidden_size) for m in net.lstms] == [(3, 128), (128, 64)]


def test_quantile_head_shape():
    cfg = ModelConfig(hidden_sizes=(4,), head=HeadKind.QUANTILE, quantiles=(0.05, 0.5, 0.95))
    out, _ = LSTMAttentionNet(1, 1, cfg)(torch.randn(3, 6, 1))
    assert out.shape == (3, 3)


def test_gaussian_nll_matches_scipy():
    mean = np.array([0.1, -0.2, 0.0])
    log_var = np.array([0.0, -1.0, 0.5])
    y = np.array([0.3, -0.1, -0.4])
    out = torch.tensor(np.column_stack([mean, log_var]))
    got = float(gaussian_nll(out, torch.tensor(y)))
    ref = -norm.logpdf(y, mean, np.exp(0.5 * log_var)) - 0.5 * np.log(2 * np.pi)
    assert got == pytest.approx(ref.mean(), rel=1e-12)


def test_pinball_loss_by_hand():
    out = torch.tensor([[-1.0, 0.0, 1.0]])
    y = torch.tensor([0.5])
    # q=0.1: diff 1.5 -> 0.15; q=0.5: diff 0.5 -> 0.25; q=0.9: diff -0.5 -> 0.05
    got = float(pinball_loss(out, y, [0.1, 0.5, 0.9]))
    assert got == pytest.approx((0.15 + 0.25 + 0.05) / 3)
