"""The allocator options (--linkage, --distance, --leaf-order, --cluster-risk, --clusters,
--risk-budget) through typer's CliRunner on bundled data, against skfolio and Riskfolio-Lib run
here on returns pivoted and differenced with pandas (independent of the code under test)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cryptofolio.cli import app
from cryptofolio.data import load_dataset

runner = CliRunner()
ASSETS = ["BTC", "ETH", "LTC", "XRP", "ADA", "BNB"]
START, END = "2022-01-01", "2022-12-31"
DATA = ["--assets", ",".join(ASSETS), "--start", START, "--end", END]
RISKFOLIO_CODEPENDENCE = {
    "pearson": "pearson",
    "spearman": "spearman",
    "distance-correlation": "distance",
}


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    long = load_dataset("coingecko-daily", symbols=ASSETS, start=START, end=END)
    close = long.pivot(index="timestamp", columns="symbol", values="close")[ASSETS]
    return (close / close.shift(1) - 1).iloc[1:]


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["optimize", *DATA, "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _skfolio(returns, model, linkage, distance, leaf_order, measure, k):
    from skfolio import RiskMeasure
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.distance import DistanceCorrelation, PearsonDistance, SpearmanDistance
    from skfolio.optimization import HierarchicalEqualRiskContribution, HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    dist = {
        "pearson": PearsonDistance(),
        "spearman": SpearmanDistance(),
        "distance-correlation": DistanceCorrelation(),
    }[distance]
    rm = RiskMeasure.VARIANCE if measure == "variance" else RiskMeasure.CVAR
    clustering = HierarchicalClustering(linkage_method=LinkageMethod(linkage), max_clusters=k)
    if model == "hrp":
        seriation = HierarchicalSeriation(
            hierarchical_clustering_estimator=clustering, optimal_ordering=leaf_order
        )
        opt = HierarchicalRiskParity(
            risk_measure=rm, distance_estimator=dist, seriation_estimator=seriation
        )
    else:
        opt = HierarchicalEqualRiskContribution(
            risk_measure=rm, distance_estimator=dist, hierarchical_clustering_estimator=clustering
        )
    return opt.fit(returns).weights_


def _riskfolio(returns, model, linkage, distance, leaf_order, measure, k):
    import riskfolio as rp

    port = rp.HCPortfolio(returns=returns, alpha=0.05)
    w = port.optimization(
        model=model.upper(),
        codependence=RISKFOLIO_CODEPENDENCE[distance],
        rm="MV" if measure == "variance" else "CVaR",
        rf=0,
        linkage=linkage,
        k=k,
        leaf_order=leaf_order,
    )
    return w["weights"].reindex(returns.columns).to_numpy()


CASES = [
    ("hrp", "ward", "spearman", True, "variance", None),
    ("hrp", "average", "distance-correlation", False, "cvar", None),
    ("hrp", "complete", "pearson", True, "cvar", None),
    ("herc", "complete", "pearson", False, "cvar", 3),
    ("herc", "ward", "spearman", False, "variance", 2),
    ("herc", "single", "distance-correlation", False, "variance", None),
]


@pytest.mark.parametrize(("model", "linkage", "distance", "leaf_order", "measure", "k"), CASES)
def test_cli_settings_give_the_peers_weights(
    returns, model, linkage, distance, leaf_order, measure, k
):
    args = ["--objective", model, "--linkage", linkage, "--distance", distance]
    args += ["--cluster-risk", measure] + (["--leaf-order"] if leaf_order else [])
    args += [] if k is None else ["--clusters", str(k)]
    doc = _json(*args)
    got = np.array([doc["weights"][a] for a in ASSETS])
    case = (returns, model, linkage, distance, leaf_order, measure, k)
    np.testing.assert_allclose(got, _skfolio(*case), rtol=0, atol=1e-8)
    if model == "hrp" or k is not None:  # Riskfolio-Lib's HERC needs k
        np.testing.assert_allclose(got, _riskfolio(*case), rtol=0, atol=1e-8)
    rc = np.array([doc["risk_contributions"][a] for a in ASSETS])
    cov = returns.cov().to_numpy()
    np.testing.assert_allclose(rc, got * (cov @ got) / (got @ cov @ got), atol=1e-12)


def test_the_settings_change_the_weights():
    """So the comparison above can fail: the settings reach the allocators."""
    pairs = [
        (["--objective", "hrp"], ["--objective", "hrp", "--cluster-risk", "cvar"]),
        (["--objective", "herc"], ["--objective", "herc", "--clusters", "4"]),
        (["--objective", "hrp"], ["--objective", "hrp", "--distance", "distance-correlation"]),
    ]
    for first, second in pairs:
        a, b = _json(*first)["weights"], _json(*second)["weights"]
        assert max(abs(a[k] - b[k]) for k in ASSETS) > 1e-3, second


BUDGETS = {"BTC": 0.3, "ETH": 0.25, "LTC": 0.1, "XRP": 0.1, "ADA": 0.05, "BNB": 0.2}


def test_risk_budgets_inline_and_from_files(tmp_path, returns):
    from skfolio.optimization import RiskBudgeting

    inline = ",".join(f"{a}={b}" for a, b in BUDGETS.items())
    csv_file = tmp_path / "budgets.csv"
    csv_file.write_text("asset,budget\n" + "".join(f"{a},{b}\n" for a, b in BUDGETS.items()))
    toml_file = tmp_path / "budgets.toml"
    toml_file.write_text("".join(f"{a.lower()} = {b}\n" for a, b in BUDGETS.items()))
    docs = [
        _json("--objective", "risk-parity", "--risk-budget", str(s))
        for s in (inline, csv_file, toml_file)
    ]
    assert docs[0]["weights"] == docs[1]["weights"] == docs[2]["weights"]
    rc = np.array([docs[0]["risk_contributions"][a] for a in ASSETS])
    np.testing.assert_allclose(rc, list(BUDGETS.values()), atol=1e-10)
    ref = RiskBudgeting(risk_budget=list(BUDGETS.values())).fit(returns.to_numpy()).weights_
    w = np.array([docs[0]["weights"][a] for a in ASSETS])
    np.testing.assert_allclose(w, ref, atol=1e-5)  # skfolio's conic solver: about 1e-6


def test_risk_contributions_in_the_table():
    result = runner.invoke(
        app,
        [
            "optimize",
            *DATA,
            "--objective",
            "risk-parity",
            "--risk-budget",
            ",".join(f"{a}={b}" for a, b in BUDGETS.items()),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "30.00%" in result.output and "25.00%" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--linkage", "ward"], "--linkage applies to hrp and herc, not to min-variance"),
        (["--objective", "hrp", "--clusters", "3"], "--clusters applies to herc, not to hrp"),
        (["--objective", "hrp", "--risk-budget", "BTC=1"], "--risk-budget applies to risk-parity"),
        (
            ["--objective", "risk-parity", "--risk-budget", "BTC=2,ETH=1"],
            "--risk-budget: risk budgets must sum to 1",
        ),
        (
            ["--objective", "risk-parity", "--risk-budget", "BTC=0.5,ETH=0.5"],
            "no budget for LTC, XRP, ADA, BNB",
        ),
        (["--objective", "risk-parity", "--risk-budget", "BTC=x"], "is no number"),
        (
            ["--objective", "risk-parity", "--risk-budget", "nofile.csv"],
            "a .csv/.toml file that exists",
        ),
        (["--objective", "hrp", "--linkage", "median"], "Invalid value for '--linkage'"),
    ],
)
def test_bad_allocator_options_are_one_line_errors(args, needle):
    result = runner.invoke(app, ["optimize", *DATA, *args])
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.output.split())


def test_backtest_strategies_take_the_settings(tmp_path):
    base = ["backtest", *DATA, "--lookback", "90", "--rebalance", "monthly", "--format", "json"]
    report = tmp_path / "report.html"
    runs = []
    for extra in ([], ["--linkage", "ward", "--cluster-risk", "cvar", "--report", str(report)]):
        result = runner.invoke(app, [*base, "--strategies", "hrp,min-variance", *extra])
        assert result.exit_code == 0, result.output
        runs.append(json.loads(result.stdout)["strategies"])
    assert runs[0]["min-variance"] == runs[1]["min-variance"]
    assert runs[0]["hrp"] != runs[1]["hrp"]
    page = report.read_text()
    assert page.count("Cluster tree: ") == 1 and "Cluster tree: hrp (last rebalance" in page
    result = runner.invoke(app, [*base, "--strategies", "min-variance", "--linkage", "ward"])
    assert result.exit_code == 2
    assert "--linkage applies to hrp and herc" in " ".join(result.output.split())


def test_dendrogram_picture_and_its_tree(tmp_path, returns):
    """--dendrogram writes a PNG; the tree drawn is SciPy's single linkage of the angular
    distance sqrt((1 - rho) / 2) of pandas' Pearson correlation (computed here)."""
    import scipy.cluster.hierarchy as sch
    from scipy.spatial.distance import squareform

    from cryptofolio.estimate import Window
    from cryptofolio.optimize import PortfolioConfig, cluster_tree, estimation_inputs

    picture = tmp_path / "tree.png"
    result = runner.invoke(
        app, ["optimize", *DATA, "--objective", "hrp", "--dendrogram", str(picture)]
    )
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    long = load_dataset("coingecko-daily", symbols=ASSETS, start=START, end=END)
    close = long.pivot(index="timestamp", columns="symbol", values="close")[ASSETS]
    window = Window(prices=close, start=close.index[0], end=close.index[-1])
    config = PortfolioConfig(objective="hrp")
    tree = cluster_tree(estimation_inputs(window, config), config)
    dist = np.sqrt(np.clip((1 - returns.corr().to_numpy()) / 2, 0, None))
    np.fill_diagonal(dist, 0)
    expected = sch.linkage(squareform(dist, checks=False), "single")
    np.testing.assert_allclose(tree.linkage, expected, atol=1e-12)
    assert list(tree.order) == list(sch.leaves_list(expected))


def test_dendrogram_needs_a_hierarchical_objective(tmp_path):
    result = runner.invoke(app, ["optimize", *DATA, "--dendrogram", str(tmp_path / "t.png")])
    assert result.exit_code == 2
    assert "--dendrogram draws the cluster tree of hrp or herc" in " ".join(result.output.split())


def test_allocate_and_rebalance_report_the_risk_contributions(tmp_path):
    budget = ",".join(f"{a}={b}" for a, b in BUDGETS.items())
    args = [*DATA, "--objective", "risk-parity", "--risk-budget", budget, "--format", "json"]
    allocated = runner.invoke(app, ["allocate", "--value", "10000", *args])
    assert allocated.exit_code == 0, allocated.output
    assert json.loads(allocated.stdout)["risk_contributions"] == pytest.approx(BUDGETS, abs=1e-10)
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("symbol,amount\n" + "".join(f"{a},1\n" for a in ASSETS))
    args[:2] = []  # the held assets are the universe
    planned = runner.invoke(app, ["rebalance", "--holdings", str(holdings), *args])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["risk_contributions"] == pytest.approx(BUDGETS, abs=1e-10)
    plain = runner.invoke(app, ["allocate", "--value", "10000", *DATA, "--format", "json"])
    assert "risk_contributions" not in json.loads(plain.stdout)
