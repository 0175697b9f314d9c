"""A flattened evaluator of a fitted binary HistGradientBoostingClassifier, for small batches.

``CompiledHGB(clf).predict_proba1(X)`` returns exactly ``clf.predict_proba(X)[:, 1]`` (bit for bit;
tested against scikit-learn on random data with missing values, unseen and negative categories) for
a float matrix in the classifier's raw column order. scikit-learn's own path spends most of a
one-row call in input validation and the ColumnTransformer/OrdinalEncoder of categorical columns,
then walks the trees one predictor at a time; here all trees' nodes live in flat numpy arrays and
every (row, tree) pair advances one level per step, so one row and forty rows cost about the same.

What is replicated, from scikit-learn 1.9's ``_predictor.pyx`` and ``gradient_boosting.py``:

* categorical columns are ordinal-encoded against ``encoder.categories_`` (unknown or missing -> NaN;
  infinity refused with ValueError) and moved in front of the numeric ones, as the fitted
  ColumnTransformer does;
* at a node: NaN follows ``missing_go_to_left``; numeric goes left when ``x <= num_threshold``; a
  categorical value < 0 follows the missing branch, goes left when in the node's left bitset, right
  when a known category, else the missing branch;
* raw score = 0 + baseline, then each tree's leaf value added in iteration order (a sequential
  cumulative sum, not numpy's pairwise ``sum``), probability = ``expit`` of it (HalfBinomialLoss).

The scikit-learn version is pinned by the lock file; :func:`compile_hgb` refuses a classifier it
cannot reproduce (multiclass, or a preprocessor of another shape), and callers fall back to sklearn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier


class CompiledHGB:
    def __init__(self, clf: HistGradientBoostingClassifier) -> None:
        if getattr(clf, "n_trees_per_iteration_", None) != 1:
            raise ValueError("only binary HistGradientBoostingClassifier models are compiled")
        self.n_features = int(clf.n_features_in_)
        pre = clf._preprocessor
        if pre is None:
            self.order = np.arange(self.n_features)
            self.n_cat = 0
            self.categories: list[np.ndarray] = []
        else:
            is_cat = np.asarray(clf.is_categorical_, dtype=bool)
            cat_idx, num_idx = np.flatnonzero(is_cat), np.flatnonzero(~is_cat)
            names = [name for name, *_ in pre.transformers_]
            out = pre.output_indices_
            rest = out.get("remainder", slice(0, 0))
            if (
                names[:2] != ["encoder", "numerical"]
                or out["encoder"] != slice(0, len(cat_idx))
                or out["numerical"] != slice(len(cat_idx), self.n_features)
                or rest.stop != rest.start
            ):
                raise ValueError("unexpected HistGradientBoosting preprocessor layout")
            enc = pre.named_transformers_["encoder"]
            if enc.handle_unknown != "use_encoded_value" or not np.isnan(enc.unknown_value):
                raise ValueError("unexpected OrdinalEncoder settings")
            self.order = np.concatenate([cat_idx, num_idx])
            self.n_cat = len(cat_idx)
            # known categories without the NaN that OrdinalEncoder keeps last (it encodes to NaN anyway)
            self.categories = [
                np.asarray(c, dtype=np.float64)[~np.isnan(np.asarray(c, dtype=np.float64))]
                for c in enc.categories_
            ]
        # categories that are all small non-negative integers (hash buckets) encode by table look-up
        self.code_table = None
        if self.categories and all(
            len(c) == 0 or (np.all(c == np.floor(c)) and c.min() >= 0 and c.max() < 256)
            for c in self.categories
        ):
            self.code_table = np.full((len(self.categories), 256), np.nan)
            for j, c in enumerate(self.categories):
                self.code_table[j, c.astype(np.int64)] = np.arange(len(c))
        known, f_idx_map = clf._bin_mapper.make_known_categories_bitsets()
        self.known_bitsets = np.asarray(known, dtype=np.int64)
        self.f_idx_map = np.asarray(f_idx_map, dtype=np.int64)
        self.baseline = np.asarray(clf._baseline_prediction, dtype=np.float64).reshape(-1)[0]
        self._flatten([p[0] for p in clf._predictors])

    def _flatten(self, predictors: list[Any]) -> None:  # sklearn TreePredictor objects
        fields = {
            k: []
            for k in (
                "value",
                "feature_idx",
                "num_threshold",
                "missing_go_to_left",
                "left",
                "right",
                "is_leaf",
                "is_categorical",
                "bitset_idx",
            )
        }
        roots, bitsets, node_off, bs_off, depth = [], [], 0, 0, 0
        for p in predictors:
            n = p.nodes
            roots.append(node_off)
            for k in fields:
                v = n[k].astype(np.float64 if k in ("value", "num_threshold") else np.int64)
                if k in ("left", "right"):
                    v = v + node_off
                elif k == "bitset_idx":
                    v = v + bs_off
                fields[k].append(v)
            bits = np.asarray(p.raw_left_cat_bitsets, dtype=np.int64).reshape(-1, 8)
            bitsets.append(bits)
            node_off += len(n)
            bs_off += len(bits)
            depth = max(depth, int(n["depth"].max()) if len(n) else 0)
        cat = {k: np.concatenate(v) if v else np.empty(0) for k, v in fields.items()}
        self.value = cat["value"]
        self.feature = cat["feature_idx"]
        self.threshold = cat["num_threshold"]
        self.missing_left = cat["missing_go_to_left"].astype(bool)
        is_leaf = cat["is_leaf"].astype(bool)
        own = np.arange(len(is_leaf))
        # [:, 1] when going left; a leaf points to itself, so every walk can take max_depth steps
        self.children = np.stack(
            [np.where(is_leaf, own, cat["right"]), np.where(is_leaf, own, cat["left"])], axis=1
        )
        self.feature = np.where(is_leaf, 0, self.feature)
        self.is_cat_node = cat["is_categorical"].astype(bool) & ~is_leaf
        self.bitset = cat["bitset_idx"]
        self.left_bitsets = np.concatenate(bitsets) if bitsets else np.zeros((0, 8), np.int64)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.max_depth = depth
        self.any_categorical = bool(self.is_cat_node.any())

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The preprocessed matrix (categoricals encoded, first), as scikit-learn builds it."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected a (rows, {self.n_features}) matrix, got shape {X.shape}")
        out = X[:, self.order]  # a copy
        if self.n_cat and np.isinf(out[:, : self.n_cat]).any():
            raise ValueError(
                "Input contains infinity in a categorical column"
            )  # as OrdinalEncoder refuses it
        if self.code_table is not None:
            raw = out[:, : self.n_cat]
            with np.errstate(invalid="ignore"):
                ok = (raw >= 0) & (raw < 256) & (raw == np.floor(raw))  # NaN: False
            idx = np.where(ok, raw, 0).astype(np.int64)
            out[:, : self.n_cat] = np.where(ok, self.code_table[np.arange(self.n_cat), idx], np.nan)
            return out
        for j, cats in enumerate(self.categories):
            col = out[:, j]
            pos = np.searchsorted(cats, col)
            ok = (pos < len(cats)) & ~np.isnan(col)
            hit = np.zeros(len(col), dtype=bool)
            hit[ok] = cats[pos[ok]] == col[ok]
            out[:, j] = np.where(hit, pos, np.nan)
        return out

    def raw(self, X: np.ndarray) -> np.ndarray:
        Xp = self.transform(X)
        n, t = Xp.shape[0], len(self.roots)
        node = np.broadcast_to(self.roots, (n, t)).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.max_depth):
            x = Xp[rows, self.feature[node]]
            nan = np.isnan(x)
            mleft = self.missing_left[node]
            with np.errstate(invalid="ignore"):
                left = np.where(nan, mleft, x <= self.threshold[node])
            if self.any_categorical:
                cat = self.is_cat_node[node] & ~nan
                if cat.any():
                    left[cat] = self._categorical_left(node[cat], x[cat], mleft[cat])
            node = self.children[node, left.view(np.int8)]
        vals = self.value[node]
        acc = np.empty((n, t + 1))
        acc[:, 0] = np.zeros(n) + self.baseline
        acc[:, 1:] = vals
        return np.cumsum(acc, axis=1)[:, -1]

    def _categorical_left(self, node: np.ndarray, x: np.ndarray, mleft: np.ndarray) -> np.ndarray:
        neg = x < 0
        v = np.where(neg, 0, x).astype(np.int64) & 0xFF  # <uint8_t>data_val in the Cython code
        word, bit = v // 32, v % 32
        in_left = (self.left_bitsets[self.bitset[node], word] >> bit) & 1
        f = self.f_idx_map[self.feature[node]]
        known = (self.known_bitsets[f, word] >> bit) & 1
        return np.where(neg, mleft, np.where(in_left == 1, True, np.where(known == 1, False, mleft)))

    def predict_proba1(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class, one per row (equal to ``clf.predict_proba(X)[:, 1]``)."""
        return expit(self.raw(X))


def compile_hgb(clf: HistGradientBoostingClassifier) -> CompiledHGB | None:
    """The compiled evaluator, or None when this classifier's shape is not one it reproduces."""
    try:
        return CompiledHGB(clf)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
