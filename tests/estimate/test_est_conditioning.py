"""The cheap conditioning checks (shifted Cholesky, Gram-matrix condition numbers, vectorised
diagnostics) against the definitions they replace: full eigendecompositions, numpy.linalg.cond
and a plain per-asset loop."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cryptofolio.errors import EstimationError
from cryptofolio.estimate import (
    EstimationWarning,
    conditioning_problems,
    ensure_psd,
    is_psd,
    risk_matrix,
)
from cryptofolio.estimate.conditioning import (
    NEAR_CONSTANT_RELATIVE_VOLATILITY,
    NEAR_CONSTANT_VOLATILITY,
    NEAR_DUPLICATE_CORRELATION,
    PSD_TOLERANCE,
    condition_number,
    median_of_others,
    problems_of_values,
)


def psd_by_definition(m: np.ndarray, tol: float = PSD_TOLERANCE) -> bool:
    """Symmetric, and smallest eigenvalue >= -tol * largest |eigenvalue| (full eigvalsh)."""
    if not np.allclose(m, m.T, rtol=1e-10, atol=1e-14):
        return False
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    return bool(eig[0] >= -tol * max(np.abs(eig).max(), np.finfo(float).tiny))


def with_spectrum(rng: np.random.Generator, eig: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(len(eig), len(eig))))
    m = (q * eig) @ q.T
    return (m + m.T) / 2


def random_cases(seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    a = rng.normal(size=(int(rng.integers(1, 2 * n)), n))
    top = 10.0 ** rng.uniform(-6, 2)
    spectrum = np.sort(rng.uniform(0, top, n))
    cases = [
        ("gram (often singular)", a.T @ a),
        ("demeaned gram", (a - a.mean(axis=0)).T @ (a - a.mean(axis=0))),
        ("random symmetric", (lambda b: b + b.T)(rng.normal(size=(n, n)))),
        ("zero", np.zeros((n, n))),
    ]
    # an explicit spectrum around the PSD boundary: smallest eigenvalue -k * tol * top
    for k in (1e4, 10.0, 2.0, 0.5, 0.1, 0.0):
        s = spectrum.copy()
        s[-1] = top
        s[0] = -k * PSD_TOLERANCE * top
        cases.append((f"lambda_min = -{k:g} tol", with_spectrum(rng, s)))
    # singular PSD (several exact zeros) and a rank-one matrix
    s = spectrum.copy()
    s[: n // 2] = 0.0
    cases.append(("singular psd", with_spectrum(rng, s)))
    v = rng.normal(size=n)
    cases.append(("rank one", np.outer(v, v)))
    cases.append(("negative rank one", -np.outer(v, v)))
    asym = a.T @ a + 1e-3 * np.triu(np.ones((n, n)), 1)
    cases.append(("not symmetric", asym))
    return cases


@pytest.mark.parametrize("seed", range(12))
def test_is_psd_agrees_with_the_eigenvalue_definition(seed):
    for label, m in random_cases(seed):
        assert is_psd(m) == psd_by_definition(m), label


@pytest.mark.parametrize("seed", range(6))
def test_ensure_psd_accepts_exactly_the_psd_matrices(seed):
    for label, m in random_cases(seed):
        if not np.allclose(m, m.T, rtol=1e-10, atol=1e-14):
            continue
        names = [f"A{i}" for i in range(len(m))]
        cov = pd.DataFrame(m, index=names, columns=names)
        if psd_by_definition(m):
            out = ensure_psd(cov)
            np.testing.assert_array_equal(out.to_numpy(), (m + m.T) / 2, err_msg=label)
        else:
            with pytest.raises(EstimationError, match="not positive semi-definite"):
                ensure_psd(cov)


def test_is_psd_rejects_nan_and_non_square():
    assert not is_psd(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    assert not is_psd(np.ones((2, 3)))
    assert is_psd(np.array([[0.0]])) and not is_psd(np.array([[-1.0]]))


@pytest.mark.parametrize("seed", range(8))
def test_condition_number_matches_numpy_cond(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    t = int(rng.integers(n + 2, 4 * n + 4))  # full rank
    a = rng.normal(size=(t, n)) * rng.uniform(0.1, 3, n)
    dev = a - a.mean(axis=0)
    cov = dev.T @ dev / (t - 1)
    ref = np.linalg.cond(cov)
    assert condition_number(cov) == pytest.approx(ref, rel=1e-6)
    assert condition_number(cov, factor=dev, demeaned=True) == pytest.approx(ref, rel=1e-6)
    # more columns than rows: the T x T side gives the same nonzero spectrum
    wide = rng.normal(size=(n, t))
    g = wide.T @ wide
    eig = np.linalg.eigvalsh(g)
    assert condition_number(g, factor=wide) == float("inf")
    assert eig[0] < 1e-10 * eig[-1]  # numerically singular by the full decomposition too


def test_condition_number_is_infinite_when_singular_by_construction():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 10))
    dev = x - x.mean(axis=0)  # rank 9 of 10
    cov = dev.T @ dev
    assert condition_number(cov, factor=dev, demeaned=True) == float("inf")
    assert np.linalg.cond(cov) > 1e12
    assert condition_number(np.diag([1.0, 0.0])) == float("inf")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 10, 11])
def test_median_of_others_matches_the_loop(n):
    rng = np.random.default_rng(n)
    for values in (rng.uniform(0, 1, n), rng.integers(0, 3, n).astype(float)):  # ties too
        ref = [float(np.median(np.delete(values, k))) if n > 1 else 0.0 for k in range(n)]
        np.testing.assert_allclose(median_of_others(values), ref, rtol=0, atol=1e-15)


def problems_by_loop(returns: pd.DataFrame, cov: pd.DataFrame) -> tuple[bool, list, list]:
    """The three diagnostics written out asset by asset and pair by pair."""
    n_obs, n = returns.shape
    c = cov.to_numpy()
    vol = np.sqrt(np.clip(np.diag(c), 0, None))
    flat = []
    for k in range(n):
        others = np.delete(vol, k)
        med = float(np.median(others)) if len(others) else 0.0
        if vol[k] < max(NEAR_CONSTANT_VOLATILITY, NEAR_CONSTANT_RELATIVE_VOLATILITY * med):
            flat.append(cov.columns[k])
    dup = []
    for i in range(n):
        for j in range(i + 1, n):
            if (
                vol[i] > 0
                and vol[j] > 0
                and c[i, j] / (vol[i] * vol[j]) > NEAR_DUPLICATE_CORRELATION
            ):
                dup.append(f"{cov.columns[i]}/{cov.columns[j]}")
    return n >= n_obs, flat, dup


@pytest.mark.parametrize("seed", range(10))
def test_conditioning_problems_match_the_loop_and_warnings_fire_with_them(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 25))
    t = int(rng.integers(3, 60))
    x = rng.normal(0, 0.04, (t, n))
    for k in rng.choice(n, size=int(rng.integers(0, 3)), replace=True):
        x[:, k] = rng.normal(0, 1e-5, t)  # near-constant
    if n >= 3 and rng.uniform() < 0.7:
        x[:, 1] = x[:, 2] + rng.normal(0, 1e-5, t)  # near-duplicate
    if rng.uniform() < 0.3:
        x[:, 0] = 0.0  # exactly constant: zero volatility
    idx = pd.date_range("2024-01-01", periods=t, freq="D", tz="UTC")
    returns = pd.DataFrame(x, index=idx, columns=[f"A{i}" for i in range(n)])
    for model in ("sample", "exponential", "semicovariance"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cov = risk_matrix(returns, model)
        too_few, flat, dup = problems_by_loop(returns, cov)
        got = conditioning_problems(returns, cov, 365.0)
        text = "; ".join(got)
        assert ("observations" in text) == too_few
        listed = text.split("near-constant asset(s): ")[1].split(";")[0] if flat else ""
        assert [s.split(" at ")[0] for s in listed.split(", ") if s] == flat
        for pair in dup:
            assert pair + " (" in text
        assert text.count("/") == len(dup)
        fired = [w for w in caught if issubclass(w.category, EstimationWarning)]
        assert len(fired) == (1 if got else 0), model


def test_gram_models_are_psd_by_the_full_decomposition_when_singular():
    rng = np.random.default_rng(11)
    t, n = 20, 80
    x = rng.standard_t(3, size=(t, 5)) @ rng.normal(size=(5, n)) * 0.02
    x += rng.normal(0, 0.01, (t, n))
    idx = pd.date_range("2024-01-01", periods=t, freq="D", tz="UTC")
    returns = pd.DataFrame(x, index=idx, columns=[f"A{i}" for i in range(n)])
    for model in ("sample", "exponential", "semicovariance"):
        with pytest.warns(EstimationWarning, match=r"condition number inf.*80 assets but only 20"):
            cov = risk_matrix(returns, model)
        v = cov.to_numpy()
        np.testing.assert_array_equal(v, v.T)
        assert psd_by_definition(v), model
        assert np.linalg.matrix_rank(v) <= t


def test_full_rank_warning_quotes_the_condition_number_of_numpy():
    rng = np.random.default_rng(5)
    t, n = 200, 6
    x = rng.normal(0, 0.03, (t, n))
    x[:, 5] = x[:, 4] + rng.normal(0, 1e-5, t)
    idx = pd.date_range("2024-01-01", periods=t, freq="D", tz="UTC")
    returns = pd.DataFrame(x, index=idx, columns=list("ABCDEF"))
    with pytest.warns(EstimationWarning) as rec:
        cov = risk_matrix(returns, "sample")
    assert f"condition number {np.linalg.cond(cov.to_numpy()):.3g}" in str(rec[0].message)
    assert "E/F" in str(rec[0].message)


@pytest.mark.parametrize(
    ("vols", "flagged"),
    [
        ([1.0, 1.0, 1.0, 10.0, 0.2], []),  # below 15 % of the largest, not of the others' median
        ([1.0, 1.0, 1.0, 10.0, 0.1], ["E"]),  # below 15 % of the others' median (1.0)
        ([0.5, 0.6, 0.7, 0.8, 0.009], ["E"]),  # below the 1 % floor
        ([0.5, 0.6, 0.7, 0.8, 0.9], []),  # every volatility within both limits
        ([0.5, np.nan, 0.7, 0.8, 0.9], []),  # a NaN variance takes the full test
        ([0.0, 0.6, 0.7, 0.8, 0.9], ["A"]),  # an exactly constant asset
    ],
)
def test_near_constant_assets_against_the_definition(vols, flagged):
    names = pd.Index(list("ABCDE"))
    cov = np.diag(np.square(vols))
    got = problems_of_values(1000, cov, names)
    listed = [p for p in got if p.startswith("near-constant")]
    limit = [
        max(
            NEAR_CONSTANT_VOLATILITY,
            NEAR_CONSTANT_RELATIVE_VOLATILITY * np.median(np.delete(vols, k)),
        )
        for k in range(len(vols))
    ]
    assert [names[k] for k in range(len(vols)) if vols[k] < limit[k]] == flagged  # the definition
    named = [s.split(" at ")[0] for s in listed[0].split(": ", 1)[1].split(", ")] if listed else []
    assert named == flagged
