//! Exact per-customer time-window aggregates over rows sorted by (customer, time), in parallel.
//!
//! The same answers as `pipelines/gold/windows.py` (its numpy version is the reference): every
//! window is `[t - w, t)` of the same customer, so rows at the same instant are excluded. Each
//! customer is one left-to-right pass: rows enter the windows when a new instant starts, and
//! leave when they fall before `t - w` (two pointers per window), so count and sum are running
//! totals, the max is a monotonic queue and distinct counterparties are per-code counters (a code
//! counts while it has a payment in the window). Logins and device changes are a third pointer
//! over the customer's events. Rows are cut into customer-aligned chunks processed on rayon's
//! pool, each writing its own slice of the outputs.
#![allow(clippy::needless_range_loop)] // the loops index several parallel arrays

use std::collections::VecDeque;

use rayon::prelude::*;

pub struct Input<'a> {
    pub cid: &'a [i64],
    pub t: &'a [i64],
    pub amount: &'a [i64],
    pub cp: &'a [i64],
    pub cp_valid: &'a [bool],
    pub new_device: &'a [bool],
    pub login_cid: &'a [i64],
    pub login_t: &'a [i64],
    pub dev_cid: &'a [i64],
    pub dev_t: &'a [i64],
    pub windows: &'a [i64],
    pub distinct: &'a [i64],
    pub max_window: i64,
}

/// All output columns, aligned with the input rows. Where a flag is false the value is 0.
pub struct Output {
    pub count: Vec<Vec<i32>>,
    pub sum: Vec<Vec<i64>>,
    pub distinct: Vec<Vec<i32>>,
    pub max: Vec<i64>,
    pub max_null: Vec<bool>,
    pub first_cp: Vec<bool>,
    pub login: Vec<i64>,
    pub has_login: Vec<bool>,
    pub dev: Vec<i64>,
    pub has_dev: Vec<bool>,
}

struct Slices<'a> {
    count: Vec<&'a mut [i32]>,
    sum: Vec<&'a mut [i64]>,
    distinct: Vec<&'a mut [i32]>,
    max: &'a mut [i64],
    max_null: &'a mut [bool],
    first_cp: &'a mut [bool],
    login: &'a mut [i64],
    has_login: &'a mut [bool],
    dev: &'a mut [i64],
    has_dev: &'a mut [bool],
}

/// Largest counterparty code accepted (per-chunk counters are dense arrays indexed by code).
pub const MAX_CODE: i64 = 1 << 28;

fn check(x: &Input) -> Result<usize, String> {
    let n = x.cid.len();
    for (name, len) in [
        ("t", x.t.len()),
        ("amount", x.amount.len()),
        ("cp", x.cp.len()),
        ("cp_valid", x.cp_valid.len()),
        ("new_device", x.new_device.len()),
    ] {
        if len != n {
            return Err(format!("{name} has {len} rows, cid has {n}"));
        }
    }
    if x.login_cid.len() != x.login_t.len() || x.dev_cid.len() != x.dev_t.len() {
        return Err("event cid and t must have the same length".into());
    }
    for i in 1..n {
        if x.cid[i] < x.cid[i - 1] || (x.cid[i] == x.cid[i - 1] && x.t[i] < x.t[i - 1]) {
            return Err(format!("rows must be sorted by (cid, t): row {i} is not"));
        }
    }
    for (c, t) in [(x.login_cid, x.login_t), (x.dev_cid, x.dev_t)] {
        for i in 1..c.len() {
            if c[i] < c[i - 1] || (c[i] == c[i - 1] && t[i] < t[i - 1]) {
                return Err(format!(
                    "events must be sorted by (cid, t): event {i} is not"
                ));
            }
        }
    }
    if x.windows
        .iter()
        .chain(x.distinct)
        .chain([&x.max_window])
        .any(|&w| w <= 0)
    {
        return Err("windows must be positive".into());
    }
    let mut max_code = -1i64;
    for i in 0..n {
        if x.cp_valid[i] {
            if x.cp[i] < 0 || x.cp[i] >= MAX_CODE {
                return Err(format!(
                    "counterparty code {} of row {i} outside 0..{MAX_CODE}",
                    x.cp[i]
                ));
            }
            max_code = max_code.max(x.cp[i]);
        }
    }
    Ok((max_code + 1) as usize)
}

/// Customer-aligned chunk bounds `[b0=0, b1, ..., n]` of about `target` rows.
fn chunk_bounds(cid: &[i64], target: usize) -> Vec<usize> {
    let n = cid.len();
    let mut out = vec![0];
    let mut lo = 0;
    while lo < n {
        let mut hi = (lo + target).min(n);
        while hi < n && cid[hi] == cid[hi - 1] {
            hi += 1;
        }
        out.push(hi);
        lo = hi;
    }
    out
}

fn split<'a, T>(mut s: &'a mut [T], bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(bounds.len());
    for w in bounds.windows(2) {
        let (a, b) = std::mem::take(&mut s).split_at_mut(w[1] - w[0]);
        out.push(a);
        s = b;
    }
    out
}

/// Compute every window column (see the module doc).
pub fn compute(x: &Input) -> Result<Output, String> {
    let n_codes = check(x)?;
    let n = x.cid.len();
    let mut o = Output {
        count: x.windows.iter().map(|_| vec![0i32; n]).collect(),
        sum: x.windows.iter().map(|_| vec![0i64; n]).collect(),
        distinct: x.distinct.iter().map(|_| vec![0i32; n]).collect(),
        max: vec![0; n],
        max_null: vec![true; n],
        first_cp: vec![false; n],
        login: vec![0; n],
        has_login: vec![false; n],
        dev: vec![0; n],
        has_dev: vec![false; n],
    };
    let target = (n / (rayon::current_num_threads() * 4)).max(1 << 16);
    let bounds = chunk_bounds(x.cid, target);
    let k = bounds.len() - 1;
    let mut count: Vec<_> = o.count.iter_mut().map(|v| split(v, &bounds)).collect();
    let mut sum: Vec<_> = o.sum.iter_mut().map(|v| split(v, &bounds)).collect();
    let mut distinct: Vec<_> = o.distinct.iter_mut().map(|v| split(v, &bounds)).collect();
    let mut max = split(&mut o.max, &bounds);
    let mut max_null = split(&mut o.max_null, &bounds);
    let mut first_cp = split(&mut o.first_cp, &bounds);
    let mut login = split(&mut o.login, &bounds);
    let mut has_login = split(&mut o.has_login, &bounds);
    let mut dev = split(&mut o.dev, &bounds);
    let mut has_dev = split(&mut o.has_dev, &bounds);
    let mut chunks = Vec::with_capacity(k);
    for c in (0..k).rev() {
        chunks.push((
            bounds[c],
            Slices {
                count: count.iter_mut().map(|v| v.pop().unwrap()).collect(),
                sum: sum.iter_mut().map(|v| v.pop().unwrap()).collect(),
                distinct: distinct.iter_mut().map(|v| v.pop().unwrap()).collect(),
                max: max.pop().unwrap(),
                max_null: max_null.pop().unwrap(),
                first_cp: first_cp.pop().unwrap(),
                login: login.pop().unwrap(),
                has_login: has_login.pop().unwrap(),
                dev: dev.pop().unwrap(),
                has_dev: has_dev.pop().unwrap(),
            },
        ));
    }
    chunks
        .into_par_iter()
        .for_each(|(lo, mut s)| run_chunk(x, lo, n_codes, &mut s));
    Ok(o)
}

fn event_range(cid: &[i64], c: i64) -> (usize, usize) {
    (
        cid.partition_point(|&v| v < c),
        cid.partition_point(|&v| v <= c),
    )
}

fn run_chunk(x: &Input, lo: usize, n_codes: usize, s: &mut Slices) {
    let hi = lo + s.max.len();
    let (nw, nd) = (x.windows.len(), x.distinct.len());
    // per distinct window: payments in the window per code, and codes with at least one
    let mut counters: Vec<Vec<u32>> = (0..nd).map(|_| vec![0u32; n_codes]).collect();
    let mut n_distinct = vec![0i32; nd];
    let mut first_t = vec![i64::MIN; n_codes];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut j = vec![0usize; nw];
    let mut sums = vec![0i64; nw];
    let mut jd = vec![0usize; nd];
    let (t, amt, cp, valid) = (x.t, x.amount, x.cp, x.cp_valid);
    let mut a = lo;
    while a < hi {
        let c = x.cid[a];
        let mut e = a + 1;
        while e < hi && x.cid[e] == c {
            e += 1;
        }
        let (mut lp, lb) = event_range(x.login_cid, c);
        let la = lp;
        let (mut dp, db) = event_range(x.dev_cid, c);
        let da = dp;
        j.iter_mut().for_each(|v| *v = a);
        sums.iter_mut().for_each(|v| *v = 0);
        jd.iter_mut().for_each(|v| *v = a);
        n_distinct.iter_mut().for_each(|v| *v = 0);
        queue.clear();
        let mut jm = a;
        let mut added = a; // rows [a, added) have entered the windows
        let mut last_nd: Option<i64> = None;
        for i in a..e {
            let ti = t[i];
            if i == a || ti != t[i - 1] {
                // a new instant: the rows before it enter the windows
                for r in added..i {
                    for w in 0..nw {
                        sums[w] += amt[r];
                    }
                    while queue.back().is_some_and(|&b| amt[b] <= amt[r]) {
                        queue.pop_back();
                    }
                    queue.push_back(r);
                    if valid[r] {
                        let code = cp[r] as usize;
                        for d in 0..nd {
                            let cnt = &mut counters[d][code];
                            if *cnt == 0 {
                                n_distinct[d] += 1;
                            }
                            *cnt += 1;
                        }
                    }
                    if x.new_device[r] {
                        last_nd = Some(t[r]);
                    }
                }
                added = i;
                for w in 0..nw {
                    let from = ti - x.windows[w];
                    while t[j[w]] < from {
                        sums[w] -= amt[j[w]];
                        j[w] += 1;
                    }
                }
                let from = ti - x.max_window;
                while t[jm] < from {
                    jm += 1;
                }
                while queue.front().is_some_and(|&f| f < jm) {
                    queue.pop_front();
                }
                for d in 0..nd {
                    let from = ti - x.distinct[d];
                    while t[jd[d]] < from {
                        let r = jd[d];
                        if valid[r] {
                            let cnt = &mut counters[d][cp[r] as usize];
                            *cnt -= 1;
                            if *cnt == 0 {
                                n_distinct[d] -= 1;
                            }
                        }
                        jd[d] += 1;
                    }
                }
                while lp < lb && x.login_t[lp] < ti {
                    lp += 1;
                }
                while dp < db && x.dev_t[dp] < ti {
                    dp += 1;
                }
            }
            let o = i - lo;
            for w in 0..nw {
                s.count[w][o] = (added - j[w]) as i32;
                s.sum[w][o] = sums[w];
            }
            for d in 0..nd {
                s.distinct[d][o] = n_distinct[d];
            }
            if let Some(&f) = queue.front() {
                s.max[o] = amt[f];
                s.max_null[o] = false;
            }
            if valid[i] {
                let ft = &mut first_t[cp[i] as usize];
                if *ft == i64::MIN {
                    *ft = ti;
                }
                s.first_cp[o] = *ft == ti;
            }
            if lp > la {
                s.login[o] = x.login_t[lp - 1];
                s.has_login[o] = true;
            }
            let ev = if dp > da { Some(x.dev_t[dp - 1]) } else { None };
            if let Some(v) = ev.max(last_nd) {
                s.dev[o] = v;
                s.has_dev[o] = true;
            }
        }
        // reset the dense per-code state this customer touched
        for r in a..e {
            if valid[r] {
                let code = cp[r] as usize;
                first_t[code] = i64::MIN;
                for d in 0..nd {
                    counters[d][code] = 0;
                }
            }
        }
        a = e;
    }
}
