//! Thread-count control: heavy functions take `threads=None|int`; when neither it nor the
//! `COFRE_NATIVE_THREADS` environment variable (read at each call) is set, work runs on
//! rayon's global pool (sized by `RAYON_NUM_THREADS` at first use, else one thread per
//! core). Otherwise it runs inside a dedicated pool of exactly that many threads, built once
//! per size and cached, so `threads=1` measures one core in a process whose global pool is
//! larger.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

pub const ENV: &str = "COFRE_NATIVE_THREADS";

fn pools() -> &'static Mutex<HashMap<usize, Arc<ThreadPool>>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The requested thread count: the argument, else `COFRE_NATIVE_THREADS`, else None (global pool).
pub fn resolve(threads: Option<usize>) -> Result<Option<usize>, String> {
    if let Some(t) = threads {
        if t == 0 {
            return Err("threads must be >= 1".into());
        }
        return Ok(Some(t));
    }
    match std::env::var(ENV) {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(t) if t >= 1 => Ok(Some(t)),
            _ => Err(format!("{ENV} must be a positive integer, got {v:?}")),
        },
        _ => Ok(None),
    }
}

/// Run `f` with the given thread count (see the module doc).
pub fn run<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> Result<R, String> {
    let Some(t) = threads else { return Ok(f()) };
    let pool = {
        let mut map = pools().lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&t) {
            Some(p) => p.clone(),
            None => {
                let p = Arc::new(
                    ThreadPoolBuilder::new()
                        .num_threads(t)
                        .thread_name(move |i| format!("cofre-native-{t}-{i}"))
                        .build()
                        .map_err(|e| format!("cannot start a pool of {t} threads: {e}"))?,
                );
                map.insert(t, p.clone());
                p
            }
        }
    };
    Ok(pool.install(f))
}
