"""Exact time-window aggregates over rows sorted by (customer, time), in O(n log n) numpy passes.

Used by :func:`pipelines.gold.transforms.transaction_features`. Input: ``cid`` (dense customer ids
0..m-1, non-decreasing) and ``t`` (int64 microseconds, non-decreasing within a customer). Every
window is ``[t - w, t)`` of the same customer: rows at the same instant are excluded (polars'
``rolling(closed="left")``).

A row's customer and time become one sortable int64 ``key = cid * band + (t - t0)``, with the band
wide enough that ``t - w`` and every login time stay inside the customer's band. Then a window is
two ``searchsorted`` calls, ``j = first key >= key - w`` and ``k = first key >= key``: count is
``k - j`` and sums are prefix-sum differences (exact integer arithmetic). Max uses a sparse table
(range-max in two lookups). Distinct counterparties count, per row, the payments ``p`` of the
customer with ``a_p < t <= b_p`` where ``b_p = min(next payment to the same key, a_p + w)``: each
key is counted once, by its latest payment before ``t`` ("starts before t" minus "ends before t").
Work is done in customer-aligned blocks so keys never overflow and memory stays bounded.

The native module computes the same columns in one pass per customer (two pointers per window,
running sums, a monotonic queue for the max, per-code counters for distinct counterparties) on
several cores; :func:`window_features` uses it when present and this numpy code is its reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

US = {"1h": 3_600_000_000, "24h": 86_400_000_000, "7d": 7 * 86_400_000_000, "30d": 30 * 86_400_000_000}
BLOCK_ROWS = 2_000_000
_KEY_LIMIT = 2**62
_NATIVE_MAX_CODE = 1 << 28  # cofre_native.window_features keeps dense per-code counters


@dataclass
class Events:
    """Per-customer event times (logins, device changes) sorted by (cid, t)."""

    cid: np.ndarray
    t: np.ndarray

    @classmethod
    def of(cls, cid: np.ndarray, t: np.ndarray) -> Events:
        order = np.lexsort((t, cid))
        return cls(cid[order].astype(np.int64), t[order].astype(np.int64))


def blocks(cid: np.ndarray, band: int, max_rows: int = BLOCK_ROWS) -> Iterator[tuple[int, int]]:
    """Customer-aligned row ranges ``[lo, hi)`` of at most ``max_rows`` rows (unless one customer is
    bigger) and few enough customers that ``customers * band`` fits in an int64 key."""
    if band >= _KEY_LIMIT:
        raise ValueError("time span too wide for int64 window keys")
    n = len(cid)
    if n == 0:
        return
    max_cust = _KEY_LIMIT // band
    # cid is dense (0..m-1) and sorted: customer c's rows start at bounds[c]
    bounds = np.r_[np.flatnonzero(np.r_[True, cid[1:] != cid[:-1]]), n]
    c = 0
    while c < len(bounds) - 1:
        lo = int(bounds[c])
        e = int(np.searchsorted(bounds, lo + max_rows, side="right")) - 1
        e = max(min(e, c + max_cust, len(bounds) - 1), c + 1)
        yield lo, int(bounds[e])
        c = e


def sparse_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``max(values[lo:hi])`` per query (``hi > lo``), and a mask of empty ranges."""
    n = hi - lo
    empty = n <= 0
    out = np.zeros(len(lo), dtype=values.dtype)
    if len(values) == 0 or empty.all():
        return out, empty
    levels = int(n.max()).bit_length()
    table = [values]
    for lv in range(1, levels):
        prev, step = table[-1], 1 << (lv - 1)
        table.append(np.maximum(prev[:-step], prev[step:]) if len(prev) > step else prev[:0])
    ok = ~empty
    qn, ql, qh = n[ok], lo[ok], hi[ok]
    lvl = np.frexp(qn.astype(np.float64))[1] - 1  # floor(log2(n)), exact below 2**53
    res = np.empty(len(qn), dtype=values.dtype)
    for lv in np.unique(lvl):
        m = lvl == lv
        tab, step = table[lv], 1 << lv
        res[m] = np.maximum(tab[ql[m]], tab[qh[m] - step])
    out[ok] = res
    return out, empty


def last_before(
    keys_sorted: np.ndarray, key: np.ndarray, band_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Latest event key strictly before ``key`` within the same customer band; (key, found)."""
    idx = np.searchsorted(keys_sorted, key, side="left") - 1
    safe = np.clip(idx, 0, None)
    got = keys_sorted[safe] if len(keys_sorted) else np.zeros(len(key), dtype=np.int64)
    found = (idx >= 0) & (got >= band_start) if len(keys_sorted) else np.zeros(len(key), dtype=bool)
    return got, found


def _native():
    import cofre_native

    return cofre_native.window_features if cofre_native.available() else None


def window_features(
    cid: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    cp: np.ndarray,
    cp_valid: np.ndarray,
    new_device: np.ndarray,
    logins: Events,
    device_logins: Events,
    windows: tuple[str, ...],
    distinct_windows: tuple[str, ...],
    max_window: str,
    max_rows: int = BLOCK_ROWS,
    native: bool | None = None,
) -> dict[str, np.ndarray]:
    """All window columns for rows sorted by (cid, t). ``cp`` are integer counterparty codes
    (valid where ``cp_valid``). Returns arrays aligned with the input rows.

    Runs in Rust (``cofre_native.window_features``: one two-pointer pass per customer, customers
    spread over rayon's pool) when the extension is built, unless ``native=False``; else in
    numpy (:func:`numpy_window_features`, the reference). Where a flag (``max_null``,
    ``has_login``, ``has_device_change``) says there is no value, the value column is
    unspecified."""
    fn = _native() if native is not False else None
    if native and fn is None:
        raise RuntimeError("cofre_native.window_features is not available")
    if fn is None or (len(cp) and cp_valid.any() and int(cp[cp_valid].max()) >= _NATIVE_MAX_CODE):
        return numpy_window_features(
            cid,
            t,
            amount,
            cp,
            cp_valid,
            new_device,
            logins,
            device_logins,
            windows,
            distinct_windows,
            max_window,
            max_rows,
        )
    i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)  # noqa: E731
    b = lambda a: np.ascontiguousarray(a, dtype=np.bool_)  # noqa: E731
    res = fn(
        i64(cid),
        i64(t),
        i64(amount),
        i64(cp),
        b(cp_valid),
        b(new_device),
        i64(logins.cid),
        i64(logins.t),
        i64(device_logins.cid),
        i64(device_logins.t),
        [US[w] for w in windows],
        [US[w] for w in distinct_windows],
        US[max_window],
    )
    out = {f"tx_count_{w}": v for w, v in zip(windows, res.counts, strict=True)}
    out |= {f"tx_sum_cents_{w}": v for w, v in zip(windows, res.sums, strict=True)}
    out |= {f"distinct_counterparties_{w}": v for w, v in zip(distinct_windows, res.distinct, strict=True)}
    return out | {
        "max_amount": res.max_amount,
        "max_null": res.max_null,
        "is_first_time_counterparty": res.first_counterparty,
        "last_login_at": res.last_login,
        "has_login": res.has_login,
        "device_change_at": res.last_device_change,
        "has_device_change": res.has_device_change,
    }


def numpy_window_features(
    cid: np.ndarray,
    t: np.ndarray,
    amount: np.ndarray,
    cp: np.ndarray,
    cp_valid: np.ndarray,
    new_device: np.ndarray,
    logins: Events,
    device_logins: Events,
    windows: tuple[str, ...],
    distinct_windows: tuple[str, ...],
    max_window: str,
    max_rows: int = BLOCK_ROWS,
) -> dict[str, np.ndarray]:
    """:func:`window_features` in numpy, by customer-aligned blocks (see the module doc)."""
    n = len(t)
    w_max = max(US[w] for w in (*windows, *distinct_windows, max_window))
    times = [t, logins.t, device_logins.t]
    t0 = min((int(x.min()) for x in times if len(x)), default=0) - w_max
    t1 = max((int(x.max()) for x in times if len(x)), default=0) + w_max
    band = t1 - t0 + 1
    out: dict[str, np.ndarray] = {f"tx_count_{w}": np.zeros(n, np.int32) for w in windows}
    out |= {f"tx_sum_cents_{w}": np.zeros(n, np.int64) for w in windows}
    out |= {f"distinct_counterparties_{w}": np.zeros(n, np.int32) for w in distinct_windows}
    out |= {
        "max_amount": np.zeros(n, np.int64),
        "max_null": np.ones(n, bool),
        "is_first_time_counterparty": np.zeros(n, bool),
        "last_login_at": np.zeros(n, np.int64),
        "has_login": np.zeros(n, bool),
        "device_change_at": np.zeros(n, np.int64),
        "has_device_change": np.zeros(n, bool),
    }
    for lo, hi in blocks(cid, band, max_rows):
        c_base = int(cid[lo])
        lc = cid[lo:hi].astype(np.int64) - c_base
        bstart = lc * band
        key = bstart + (t[lo:hi] - t0)
        k = np.searchsorted(key, key, side="left")  # first row of the customer at this instant
        amt = amount[lo:hi].astype(np.int64)
        cs = np.concatenate(([0], np.cumsum(amt)))
        for w in windows:
            j = np.searchsorted(key, key - US[w], side="left")
            out[f"tx_count_{w}"][lo:hi] = k - j
            out[f"tx_sum_cents_{w}"][lo:hi] = cs[k] - cs[j]
        j = np.searchsorted(key, key - US[max_window], side="left")
        mx, empty = sparse_max(amt, j, k)
        out["max_amount"][lo:hi], out["max_null"][lo:hi] = mx, empty
        _distinct(out, lo, hi, key, bstart, lc, cp[lo:hi], cp_valid[lo:hi], distinct_windows)
        for ev, name, flag, extra in (
            (logins, "last_login_at", "has_login", None),
            (device_logins, "device_change_at", "has_device_change", key[new_device[lo:hi]]),
        ):
            a = np.searchsorted(ev.cid, c_base, side="left")
            b = np.searchsorted(ev.cid, int(cid[hi - 1]), side="right")
            ekeys = (ev.cid[a:b] - c_base) * band + (ev.t[a:b] - t0)
            if extra is not None:
                ekeys = np.sort(np.concatenate((ekeys, extra)))
            got, found = last_before(ekeys, key, bstart)
            out[name][lo:hi] = got - bstart + t0
            out[flag][lo:hi] = found
    return out


def _distinct(
    out: dict[str, np.ndarray],
    lo: int,
    hi: int,
    key: np.ndarray,
    bstart: np.ndarray,
    lc: np.ndarray,
    cp: np.ndarray,
    cp_valid: np.ndarray,
    windows: tuple[str, ...],
) -> None:
    pos = np.flatnonzero(cp_valid)
    if len(pos) == 0:
        return
    first_row = np.searchsorted(key, bstart, side="left")  # the customer's first row
    k = np.searchsorted(key, key, side="left")
    pay_before = np.concatenate(([0], np.cumsum(cp_valid)))
    starts = pay_before[k] - pay_before[first_row]  # payments strictly before t
    # payments sorted by (customer, counterparty, time): rows are already by (customer, time)
    pk = lc[pos] * (int(cp[pos].max()) + 1) + cp[pos].astype(np.int64)
    perm = np.argsort(pk, kind="stable")
    order, pk_sorted = pos[perm], pk[perm]
    same_next = np.r_[pk_sorted[1:] == pk_sorted[:-1], False]
    a = key[order]
    nxt = np.where(same_next, np.r_[a[1:], 0], np.iinfo(np.int64).max)
    first = np.r_[True, ~same_next[:-1]]
    first_t = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    out["is_first_time_counterparty"][lo + order] = a == a[first_t]
    for w in windows:
        ends = np.sort(np.minimum(nxt, a + US[w]))
        ended = np.searchsorted(ends, key, side="left") - np.searchsorted(ends, bstart, side="left")
        out[f"distinct_counterparties_{w}"][lo:hi] = starts - ended
