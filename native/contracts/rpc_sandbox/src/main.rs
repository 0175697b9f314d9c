//! `soroban-rpc-sandbox`: a local Soroban RPC server for cofre.
//!
//! Speaks the JSON-RPC 2.0 methods stellar-sdk's `SorobanServer` uses (getHealth, getNetwork,
//! getLatestLedger, getLedgerEntries, simulateTransaction, sendTransaction, getTransaction,
//! getEvents) over HTTP POST, plus `GET /friendbot?addr=G...` like a quickstart node and one
//! sandbox-only method, `sandboxAdvanceTime {seconds}`, for deadlines in tests. Transactions are
//! executed by a soroban host where the escrow and audit_anchor contracts run natively; the state
//! lives under `--state` and survives restarts.
//!
//! Usage: soroban-rpc-sandbox --listen 127.0.0.1:8000 --state var/soroban --deployer G...
//!        [--passphrase "Standalone Network ; February 2017"]
mod chain;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use chain::{b64, parse_account, Chain};
use serde_json::{json, Value};
use soroban_env_host::xdr::{LedgerEntryData, LedgerKey, Limits, ReadXdr};

const RETENTION: u32 = 17_280;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listen = arg(&args, "--listen").unwrap_or_else(|| "127.0.0.1:8000".into());
    let state = PathBuf::from(arg(&args, "--state").unwrap_or_else(|| "var/soroban".into()));
    let passphrase =
        arg(&args, "--passphrase").unwrap_or_else(|| "Standalone Network ; February 2017".into());
    let Some(deployer) = arg(&args, "--deployer").as_deref().and_then(parse_account) else {
        eprintln!("--deployer G... (the bank's account that deploys the contracts) is required");
        std::process::exit(2);
    };
    let clock = Box::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    let mut chain = match Chain::open(&state, &passphrase, &deployer, clock) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot open {}: {e}", state.display());
            std::process::exit(1);
        }
    };
    let server = match tiny_http::Server::http(&listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    let contracts: Vec<String> = chain
        .meta
        .natives
        .iter()
        .map(|(id, k)| format!("{k:?}={id}"))
        .collect();
    println!(
        "soroban-rpc-sandbox listening on http://{} ({})",
        server.server_addr(),
        contracts.join(" ")
    );
    for mut request in server.incoming_requests() {
        let url = request.url().to_owned();
        let (code, body) = if url.starts_with("/friendbot") {
            friendbot(&mut chain, &url)
        } else if *request.method() == tiny_http::Method::Post {
            let mut raw = String::new();
            if request.as_reader().read_to_string(&mut raw).is_err() {
                (
                    400,
                    json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "unreadable body"}}),
                )
            } else {
                (200, rpc(&mut chain, &raw))
            }
        } else {
            (405, json!({"error": "POST JSON-RPC 2.0 requests"}))
        };
        let header =
            tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header");
        let response = tiny_http::Response::from_string(body.to_string())
            .with_status_code(code)
            .with_header(header);
        let _ = request.respond(response);
    }
}

fn friendbot(chain: &mut Chain, url: &str) -> (u16, Value) {
    let addr = url
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("addr="))
        .unwrap_or("");
    let Some(id) = parse_account(addr) else {
        return (
            400,
            json!({"status": 400, "detail": "addr must be a G... account id"}),
        );
    };
    match chain.friendbot(&id) {
        Ok(true) => (200, json!({"successful": true, "ledger": chain.sequence()})),
        Ok(false) => (
            400,
            json!({"status": 400, "detail": "account already funded"}),
        ),
        Err(e) => (500, json!({"status": 500, "detail": e})),
    }
}

fn rpc(chain: &mut Chain, raw: &str) -> Value {
    let Ok(req) = serde_json::from_str::<Value>(raw) else {
        return json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}});
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req.get("method").and_then(Value::as_str).unwrap_or("");
    let params = req.get("params").cloned().unwrap_or(json!({}));
    match dispatch(chain, method, &params) {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message)) => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
        }
    }
}

type RpcResult = Result<Value, (i64, String)>;

fn invalid(msg: impl Into<String>) -> (i64, String) {
    (-32602, msg.into())
}

fn dispatch(chain: &mut Chain, method: &str, params: &Value) -> RpcResult {
    let latest = chain.sequence();
    let (oldest, oldest_time) = chain.oldest();
    match method {
        "getHealth" => Ok(
            json!({"status": "healthy", "latestLedger": latest, "oldestLedger": oldest, "ledgerRetentionWindow": RETENTION}),
        ),
        "getNetwork" => Ok(
            json!({"friendbotUrl": "/friendbot", "passphrase": chain.passphrase, "protocolVersion": chain::PROTOCOL}),
        ),
        "getLatestLedger" => Ok(json!({
            "id": hex::encode(chain::sha256(&[&latest.to_be_bytes()[..], &chain.network_id[..]].concat())),
            "protocolVersion": chain::PROTOCOL, "sequence": latest, "closeTime": chain.close_time().to_string(),
            "headerXdr": "", "metadataXdr": ""})),
        "getLedgerEntries" => {
            let keys = params
                .get("keys")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid("keys: array of base64 LedgerKey"))?;
            let mut entries = Vec::new();
            for k in keys {
                let key = k
                    .as_str()
                    .and_then(|s| LedgerKey::from_xdr_base64(s, Limits::none()).ok())
                    .ok_or_else(|| invalid("keys: invalid LedgerKey"))?;
                if let Some((entry, live)) = chain.entry(&key) {
                    let data: &LedgerEntryData = &entry.data;
                    let mut e = json!({"key": k, "xdr": b64(data), "lastModifiedLedgerSeq": entry.last_modified_ledger_seq});
                    if let Some(l) = live {
                        e["liveUntilLedgerSeq"] = json!(l);
                    }
                    entries.push(e);
                }
            }
            Ok(json!({"entries": entries, "latestLedger": latest}))
        }
        "simulateTransaction" => {
            let tx = params
                .get("transaction")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("transaction: base64 envelope"))?;
            Ok(match chain.simulate(tx) {
                Ok((exec, data, fee)) => match exec.result {
                    Ok(value) => json!({
                        "transactionData": b64(&data), "minResourceFee": fee.to_string(), "events": exec.diagnostics,
                        "results": [{"auth": chain::auth_entries(&exec.recorded).iter().map(b64).collect::<Vec<_>>(), "xdr": b64(&value)}],
                        "cost": {"cpuInsns": exec.cpu.to_string(), "memBytes": "0"}, "latestLedger": latest}),
                    Err(e) => {
                        json!({"error": e, "events": exec.diagnostics, "latestLedger": latest})
                    }
                },
                Err(e) => json!({"error": e, "latestLedger": latest}),
            })
        }
        "sendTransaction" => {
            let tx = params
                .get("transaction")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("transaction: base64 envelope"))?;
            match chain.submit(tx) {
                Ok(hash) => Ok(
                    json!({"status": "PENDING", "hash": hash, "latestLedger": chain.sequence(), "latestLedgerCloseTime": chain.close_time().to_string()}),
                ),
                Err((hash, Some(refusal))) => Ok(
                    json!({"status": "ERROR", "hash": hash, "errorResultXdr": b64(&refusal.0), "latestLedger": latest, "latestLedgerCloseTime": chain.close_time().to_string()}),
                ),
                Err((message, None)) => Err(invalid(message)),
            }
        }
        "getTransaction" => {
            let hash = params
                .get("hash")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("hash: hex transaction hash"))?;
            let mut out = json!({"txHash": hash, "latestLedger": latest, "latestLedgerCloseTime": chain.close_time().to_string(),
                "oldestLedger": oldest, "oldestLedgerCloseTime": oldest_time.to_string(), "status": "NOT_FOUND"});
            if let Some(r) = chain.meta.txs.get(hash) {
                out["status"] = json!(r.status);
                out["applicationOrder"] = json!(r.application_order);
                out["feeBump"] = json!(false);
                out["envelopeXdr"] = json!(r.envelope_xdr);
                out["resultXdr"] = json!(r.result_xdr);
                out["resultMetaXdr"] = json!(r.result_meta_xdr);
                out["diagnosticEventsXdr"] = json!(r.diagnostic_events_xdr);
                out["ledger"] = json!(r.ledger);
                out["createdAt"] = json!(r.created_at.to_string());
            }
            Ok(out)
        }
        "getEvents" => events(chain, params),
        "sandboxAdvanceTime" => {
            let seconds = params
                .get("seconds")
                .and_then(Value::as_u64)
                .ok_or_else(|| invalid("seconds: positive integer"))?;
            chain.advance_time(seconds).map_err(|e| (-32603, e))?;
            Ok(
                json!({"latestLedger": chain.sequence(), "closeTime": chain.close_time().to_string()}),
            )
        }
        _ => Err((-32601, format!("method not found: {method}"))),
    }
}

/// Whether an event's topics match a filter's segments ("*" one topic, "**" any rest).
fn topics_match(filter: &[Value], topics: &[String]) -> bool {
    let mut i = 0;
    for seg in filter {
        let s = seg.as_str().unwrap_or("");
        if s == "**" {
            return true;
        }
        match topics.get(i) {
            Some(t) if s == "*" || s == t => i += 1,
            _ => return false,
        }
    }
    i == topics.len()
}

fn events(chain: &Chain, params: &Value) -> RpcResult {
    let latest = chain.sequence();
    let (oldest, oldest_time) = chain.oldest();
    let pagination = params.get("pagination").cloned().unwrap_or(json!({}));
    let limit = pagination
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .min(10_000) as usize;
    let cursor = pagination
        .get("cursor")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let start = params.get("startLedger").and_then(Value::as_u64);
    if cursor.is_none() && start.is_none() {
        return Err(invalid("startLedger or pagination.cursor is required"));
    }
    let filters = params
        .get("filters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let wanted = |e: &chain::EventRecord| {
        filters.is_empty()
            || filters.iter().any(|f| {
                let typ = f.get("type").and_then(Value::as_str).unwrap_or("contract");
                let ids_ok = f
                    .get("contractIds")
                    .and_then(Value::as_array)
                    .map(|ids| {
                        ids.iter()
                            .any(|i| i.as_str() == Some(e.contract_id.as_str()))
                    })
                    .unwrap_or(true);
                let topics_ok = f
                    .get("topics")
                    .and_then(Value::as_array)
                    .map(|ts| {
                        ts.is_empty()
                            || ts.iter().any(|t| {
                                t.as_array()
                                    .map(|t| topics_match(t, &e.topic))
                                    .unwrap_or(false)
                            })
                    })
                    .unwrap_or(true);
                typ == "contract" && ids_ok && topics_ok
            })
    };
    let out: Vec<&chain::EventRecord> = chain
        .meta
        .events
        .iter()
        .filter(|e| match &cursor {
            Some(c) => e.id.as_str() > c.as_str(),
            None => e.ledger as u64 >= start.unwrap_or(0),
        })
        .filter(|e| wanted(e))
        .take(limit)
        .collect();
    let next = out
        .last()
        .map(|e| e.id.clone())
        .unwrap_or_else(|| cursor.clone().unwrap_or_default());
    Ok(json!({
        "events": out.iter().map(|e| json!({"type": "contract", "ledger": e.ledger, "ledgerClosedAt": rfc3339(e.closed_at),
            "contractId": e.contract_id, "id": e.id, "topic": e.topic, "value": e.value,
            "operationIndex": 0, "transactionIndex": 1, "txHash": e.tx_hash})).collect::<Vec<_>>(),
        "latestLedger": latest, "oldestLedger": oldest, "latestLedgerCloseTime": chain.close_time().to_string(),
        "oldestLedgerCloseTime": oldest_time.to_string(), "cursor": next}))
}

/// Unix seconds as an RFC 3339 UTC timestamp (civil-from-days, proleptic Gregorian).
fn rfc3339(t: u64) -> String {
    let (days, secs) = ((t / 86_400) as i64, t % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn topic_filters_match_segments_and_wildcards() {
        let topics = vec!["a".to_owned(), "b".to_owned()];
        assert!(topics_match(&[json!("a"), json!("b")], &topics));
        assert!(topics_match(&[json!("a"), json!("*")], &topics));
        assert!(topics_match(&[json!("**")], &topics));
        assert!(!topics_match(&[json!("a")], &topics));
        assert!(!topics_match(&[json!("b"), json!("*")], &topics));
    }
}
