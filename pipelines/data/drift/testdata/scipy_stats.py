"""Print scipy's drift statistics for the cases in a JSON file, as JSON on stdout.

Run by ../scipy_test.go with the pinned scipy in scipy.lock:
    python scipy_stats.py cases.json
"""

import json
import sys

import numpy as np
import scipy
from scipy import stats, special


def psi(ref, batch, bins, eps=1e-4):
    """PSI with bins at the reference's quantiles; the definition drift.PSI implements."""
    ref, batch = np.asarray(ref, dtype=float), np.asarray(batch, dtype=float)
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    bc = np.bincount(np.searchsorted(edges, batch, side="left"), minlength=len(edges) + 1)
    pr = np.maximum(rc / len(ref), eps)
    pb = np.maximum(bc / len(batch), eps)
    return float(np.sum((pb - pr) * np.log(pb / pr)))


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = {"versions": {"scipy": scipy.__version__, "numpy": np.__version__}}
    out["ks"] = []
    for c in cases["ks"]:
        r = stats.ks_2samp(c["a"], c["b"])
        out["ks"].append({"statistic": float(r.statistic), "pvalue": float(r.pvalue)})
    out["chi"] = []
    for c in cases["chi"]:
        table = np.array([c["ref"], c["batch"]], dtype=float)
        table = table[:, table.sum(axis=0) > 0]
        r = stats.chi2_contingency(table)
        out["chi"].append({"statistic": float(r.statistic), "pvalue": float(r.pvalue), "dof": int(r.dof)})
    out["psi"] = [psi(c["ref"], c["batch"], c["bins"]) for c in cases["psi"]]
    out["kstwo"] = [float(stats.kstwo.sf(x, n)) for n, x in cases["kstwo"]]
    out["smirnov"] = [float(special.smirnov(int(n), x)) for n, x in cases["smirnov"]]
    out["chi2sf"] = [float(stats.chi2.sf(x, dof)) for x, dof in cases["chi2sf"]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
