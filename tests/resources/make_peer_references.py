"""Run the peer libraries on fixed inputs and store their answers under tests/resources.

The tests of HRP/HERC, risk budgeting and Black-Litterman compare cryptofolio with these files,
so they do not need skfolio or Riskfolio-Lib at test time. The inputs are stored too
(peer_panels.json: the returns panels; the market caps in peer_black_litterman.json), so a test
feeds cryptofolio exactly what the peers saw.

    PYTHONPATH=src python tests/resources/make_peer_references.py [--pypfopt-repo DIR]

``--pypfopt-repo``: a checkout of PyPortfolioOpt (github.com/robertmartin8/PyPortfolioOpt); its
tests/resources/stock_prices.csv and weights_hrp.csv give the published HRP figures, recomputed
here by running PyPortfolioOpt's HRPOpt as its tests/test_hrp.py does.

Needs: PyPortfolioOpt, skfolio, riskfolio-lib (the ``bench`` extra). Versions are recorded.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
PEERS = ("pyportfolioopt", "skfolio", "riskfolio-lib", "numpy", "scipy", "pandas")
LINKAGES = ("single", "average", "complete", "ward")
DISTANCES = {"pearson": "pearson", "spearman": "spearman", "distance-correlation": "distance"}


def versions() -> dict[str, str]:
    return {name: version(name) for name in PEERS}


# ---------------------------------------------------------------------------------- inputs
def coingecko_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily simple returns of the 12 coins with full data in 2021-2022, and their market caps."""
    from cryptofolio.data import load_dataset, to_panels

    panels = to_panels(load_dataset("coingecko-daily", start="2021-01-01", end="2022-12-31"))
    close = panels.close.dropna(axis=1)
    returns = close.pct_change().iloc[1:]
    return returns, panels.market_cap[close.columns]


def synthetic_panel(n_assets: int = 30, periods: int = 250, seed: int = 7) -> pd.DataFrame:
    """Fat-tailed returns with three factor blocks (Student-t, 4 degrees of freedom)."""
    rng = np.random.default_rng(seed)
    groups = np.arange(n_assets) % 3
    factors = rng.standard_t(4, size=(periods, 3)) * 0.02
    loadings = rng.uniform(0.5, 1.5, n_assets)
    noise = rng.standard_t(4, size=(periods, n_assets)) * rng.uniform(0.005, 0.03, n_assets)
    x = factors[:, groups] * loadings + noise + 0.0005
    return pd.DataFrame(x, columns=[f"A{i:02d}" for i in range(n_assets)])


def panel_json(returns: pd.DataFrame) -> dict:
    return {"assets": list(returns.columns), "returns": returns.to_numpy().tolist()}


# ----------------------------------------------------------------------------- hierarchical
def _skfolio_hierarchical(returns, model, linkage, distance, leaf_order, measure, k):
    from skfolio import RiskMeasure
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.distance import DistanceCorrelation, PearsonDistance, SpearmanDistance
    from skfolio.optimization import (
        HierarchicalEqualRiskContribution,
        HierarchicalRiskParity,
    )
    from skfolio.seriation import HierarchicalSeriation

    dist = {
        "pearson": PearsonDistance(),
        "spearman": SpearmanDistance(),
        "distance-correlation": DistanceCorrelation(),
    }[distance]
    rm = RiskMeasure.VARIANCE if measure == "variance" else RiskMeasure.CVAR
    clustering = HierarchicalClustering(linkage_method=LinkageMethod(linkage), max_clusters=k)
    if model == "hrp":
        opt = HierarchicalRiskParity(
            risk_measure=rm,
            distance_estimator=dist,
            seriation_estimator=HierarchicalSeriation(
                hierarchical_clustering_estimator=clustering, optimal_ordering=leaf_order
            ),
        )
    else:
        opt = HierarchicalEqualRiskContribution(
            risk_measure=rm, distance_estimator=dist, hierarchical_clustering_estimator=clustering
        )
    return opt.fit(returns).weights_


def _riskfolio_hierarchical(returns, model, linkage, distance, leaf_order, measure, k):
    import riskfolio as rp

    port = rp.HCPortfolio(returns=returns, alpha=0.05)
    w = port.optimization(
        model=model.upper(),
        codependence=DISTANCES[distance],
        rm="MV" if measure == "variance" else "CVaR",
        rf=0,
        linkage=linkage,
        k=k,
        leaf_order=leaf_order,
    )
    return w["weights"].reindex(returns.columns).to_numpy()


def _pypfopt_hrp(returns, linkage):
    from pypfopt import HRPOpt

    w = HRPOpt(returns=returns).optimize(linkage_method=linkage)
    return np.array([w[a] for a in returns.columns])


def hierarchical_cases(returns: pd.DataFrame) -> list[dict]:
    cases = []
    for model in ("hrp", "herc"):
        for linkage in LINKAGES:
            for distance in DISTANCES:
                for leaf_order in (False, True):
                    for measure in ("variance", "cvar"):
                        for k in (None, 4) if model == "herc" else (None,):
                            if model == "herc" and leaf_order:
                                continue  # the HERC tree does not depend on the leaf order
                            cfg = {
                                "model": model,
                                "linkage": linkage,
                                "distance": distance,
                                "leaf_order": leaf_order,
                                "risk_measure": measure,
                                "n_clusters": k,
                            }
                            args = (returns, model, linkage, distance, leaf_order, measure, k)
                            peers = {"skfolio": _skfolio_hierarchical(*args).tolist()}
                            if k is not None or model == "hrp":
                                peers["riskfolio"] = _riskfolio_hierarchical(*args).tolist()
                            if (model, distance, measure) == ("hrp", "pearson", "variance"):
                                if not leaf_order:
                                    peers["pypfopt"] = _pypfopt_hrp(returns, linkage).tolist()
                            cases.append({"config": cfg, "weights": peers})
    return cases


def hierarchical_references() -> dict:
    coingecko, _ = coingecko_panel()
    synthetic = synthetic_panel()
    out = {"versions": versions(), "panels": {}}
    for name, panel in (("coingecko", coingecko), ("synthetic", synthetic)):
        out["panels"][name] = {"cases": hierarchical_cases(panel)}
    return out


def panels() -> dict:
    """The inputs every reference file refers to by name (peer_panels.json)."""
    coingecko, _ = coingecko_panel()
    return {
        "coingecko": panel_json(coingecko)
        | {"source": "coingecko-daily 2021-01-01 to 2022-12-31, simple daily returns"},
        "synthetic": panel_json(synthetic_panel())
        | {"source": "synthetic_panel(): Student-t(4) three-factor returns, seed 7"},
    }


def pypfopt_published(repo: Path) -> dict:
    """PyPortfolioOpt's HRP test figures, recomputed with HRPOpt on its stock_prices.csv."""
    from pypfopt import CovarianceShrinkage, HRPOpt

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), "show", f"HEAD:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    prices = pd.read_csv(
        io.StringIO(show("tests/resources/stock_prices.csv")), parse_dates=True, index_col="date"
    )
    published = pd.read_csv(
        io.StringIO(show("tests/resources/weights_hrp.csv")), index_col=0
    ).squeeze("columns")
    returns = prices.pct_change().dropna(how="all")
    hrp = HRPOpt(returns)
    w = hrp.optimize(linkage_method="single")
    perf = hrp.portfolio_performance(risk_free_rate=0.02)
    shrunk = CovarianceShrinkage(prices).ledoit_wolf()
    hrp_s = HRPOpt(cov_matrix=shrunk)
    w_s = hrp_s.optimize(linkage_method="single")
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assets = list(returns.columns)
    return {
        "versions": versions(),
        "source": f"robertmartin8/PyPortfolioOpt@{commit} tests/resources/stock_prices.csv",
        "assets": assets,
        # pandas' pairwise-complete statistics of the ragged returns, as HRPOpt(returns) uses
        "returns_cov": returns.cov().to_numpy().tolist(),
        "returns_corr": returns.corr().to_numpy().tolist(),
        "hrp_single": [w[a] for a in assets],
        "hrp_single_published_csv": [float(published[a]) for a in assets],
        "portfolio_performance_rf_0.02_frequency_252": list(perf),
        "ledoit_wolf_cov": shrunk.loc[assets, assets].to_numpy().tolist(),
        "hrp_single_ledoit_wolf": [w_s[a] for a in assets],
        "ledoit_wolf_volatility": hrp_s.portfolio_performance()[1],
    }


# ---------------------------------------------------------------------------- risk budgets
def risk_budgeting_references() -> dict:
    import riskfolio as rp
    from skfolio import RiskMeasure
    from skfolio.optimization import RiskBudgeting

    coingecko, _ = coingecko_panel()
    n = coingecko.shape[1]
    user = np.linspace(1.0, 3.0, n)
    cases = []
    for b in (None, list(user / user.sum())):
        port = rp.Portfolio(returns=coingecko)
        port.assets_stats(method_mu="hist", method_cov="hist")
        bb = None if b is None else np.array(b).reshape(-1, 1)
        w_rf = port.rp_optimization(model="Classic", rm="MV", rf=0, b=bb, hist=True)
        sk = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, risk_budget=b).fit(coingecko)
        cases.append(
            {
                "budgets": b,
                "weights": {
                    "riskfolio": w_rf["weights"].reindex(coingecko.columns).tolist(),
                    "skfolio": sk.weights_.tolist(),
                },
            }
        )
    return {"versions": versions(), "panel": "coingecko", "cases": cases}


# ------------------------------------------------------------------------- Black-Litterman
def black_litterman_references() -> dict:
    from pypfopt import black_litterman as bl
    from skfolio.moments import EquilibriumMu
    from skfolio.prior import BlackLitterman, EmpiricalPrior

    returns, caps = coingecko_panel()
    assets = list(returns.columns)
    date = returns.index[-1]
    mcap = caps.loc[date, assets]
    w_mkt = mcap / mcap.sum()
    proxy = (returns * caps.shift(1).loc[returns.index, assets]).sum(axis=1) / caps.shift(1).loc[
        returns.index, assets
    ].sum(axis=1)
    proxy_prices = pd.concat([pd.Series([1.0]), (1 + proxy).cumprod()], ignore_index=True)
    delta = float(bl.market_implied_risk_aversion(proxy_prices, frequency=365))
    cov = returns.cov() * 365
    pi = bl.market_implied_prior_returns(mcap, delta, cov)
    absolute = {"SOL": 0.40, "BTC": 0.10}
    relative = [("ETH", "BTC", 0.05)]
    P = np.zeros((3, len(assets)))
    Q = np.array([0.40, 0.10, 0.05])
    P[0, assets.index("SOL")] = 1
    P[1, assets.index("BTC")] = 1
    P[2, assets.index("ETH")], P[2, assets.index("BTC")] = 1, -1
    conf = np.array([0.6, 0.25, 0.9])
    out = {
        "versions": versions(),
        "panel": "coingecko",
        "market_caps_date": str(date.date()),
        "market_caps": mcap.tolist(),
        "market_proxy_returns": proxy.tolist(),
        "delta": delta,
        "pi": pi.tolist(),
        "views": {"absolute": absolute, "relative": relative, "P": P.tolist(), "Q": Q.tolist()},
        "confidences": conf.tolist(),
        "tau": 0.05,
        "pypfopt": {},
    }
    for omega in ("default", "idzorek"):
        model = bl.BlackLittermanModel(
            cov,
            pi=pi,
            P=P,
            Q=Q,
            omega=omega,
            view_confidences=conf if omega == "idzorek" else None,
            tau=0.05,
        )
        out["pypfopt"][omega] = {
            "mean": model.bl_returns().tolist(),
            "covariance": model.bl_cov().to_numpy().tolist(),
        }
    # skfolio works in the returns' periodic units: daily views, daily covariance
    views = [f"SOL == {0.40 / 365!r}", f"BTC == {0.10 / 365!r}", f"ETH - BTC == {0.05 / 365!r}"]
    out["skfolio"] = {}
    for name, c in (("default", None), ("idzorek", conf.tolist())):
        prior = EmpiricalPrior(mu_estimator=EquilibriumMu(risk_aversion=delta, weights=w_mkt))
        model = BlackLitterman(views=views, prior_estimator=prior, tau=0.05, view_confidences=c)
        dist = model.fit(returns).return_distribution_
        out["skfolio"][name] = {
            "daily_mean": dist.mu.tolist(),
            "daily_covariance": dist.covariance.tolist(),
        }
    return out


def write(name: str, data: dict) -> None:
    path = HERE / name
    path.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pypfopt-repo", type=Path, default=None)
    parser.add_argument(
        "--only", choices=["panels", "hierarchical", "risk-budgeting", "black-litterman", "pypfopt"]
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    jobs = {
        "panels": ("peer_panels.json", panels),
        "hierarchical": ("peer_hierarchical.json", hierarchical_references),
        "risk-budgeting": ("peer_risk_budgeting.json", risk_budgeting_references),
        "black-litterman": ("peer_black_litterman.json", black_litterman_references),
    }
    for key, (name, make) in jobs.items():
        if args.only in (None, key):
            write(name, make())
    if args.pypfopt_repo is not None and args.only in (None, "pypfopt"):
        write("pypfopt_hrp_published.json", pypfopt_published(args.pypfopt_repo))


if __name__ == "__main__":
    main()
