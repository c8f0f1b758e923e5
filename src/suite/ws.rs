//! The `ws-chat` scenario: chat clients in rooms at fixed message rates
//! (delivery latency from the intended send time, CPU per delivered
//! message), and capacity in clients at the SLO — driven by the WebSocket
//! engine ([`crate::load::ws`]).

use std::time::{Duration, Instant};

use crate::load::report::WsReport;
use crate::load::ws::{self, WsConfig};
use crate::scenario::Scenario;

use super::capacity::{conclude, next_probe};
use super::config::SuiteConfig;
use super::measure::{Outcome, RATE_REACHED, point_flags, sampled};
use super::results::{CapacityRecord, CapacityStep, Flag, Point, PointKind};
use super::target::Target;

/// Clients per room in the capacity search.
pub const CLIENTS_PER_ROOM: usize = 10;
/// Most clients a capacity search offers.
pub const MAX_CLIENTS: f64 = 5000.0;

/// ws-chat settings, from `Settings.extra` (`ws_clients`, `ws_rooms`,
/// `ws_msg_rates`, `ws_capacity_rate`), with defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct WsSettings {
    pub clients: usize,
    pub rooms: usize,
    /// Messages per second per client of the fixed-rate points.
    pub msg_rates: Vec<f64>,
    /// Messages per second per client during the capacity search.
    pub capacity_rate: f64,
}

impl WsSettings {
    pub fn defaults(full: bool) -> WsSettings {
        WsSettings {
            clients: if full { 200 } else { 100 },
            rooms: 10,
            msg_rates: if full { vec![0.5, 1.0, 2.0] } else { vec![1.0] },
            capacity_rate: 1.0,
        }
    }

    /// Reads the settings recorded in a run (defaults for what is missing).
    pub fn from_settings(s: &super::results::Settings) -> WsSettings {
        let d = WsSettings::defaults(s.suite == "full");
        let num = |k: &str| s.extra.get(k).and_then(|v| v.as_f64());
        WsSettings {
            clients: num("ws_clients").map_or(d.clients, |v| v as usize).max(1),
            rooms: num("ws_rooms").map_or(d.rooms, |v| v as usize).max(1),
            msg_rates: s
                .extra
                .get("ws_msg_rates")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or(d.msg_rates),
            capacity_rate: num("ws_capacity_rate").unwrap_or(d.capacity_rate),
        }
    }

    /// Writes them into `Settings.extra`.
    pub fn record(&self, extra: &mut std::collections::BTreeMap<String, serde_json::Value>) {
        extra.insert("ws_clients".into(), serde_json::json!(self.clients));
        extra.insert("ws_rooms".into(), serde_json::json!(self.rooms));
        extra.insert("ws_msg_rates".into(), serde_json::json!(self.msg_rates));
        extra.insert(
            "ws_capacity_rate".into(),
            serde_json::json!(self.capacity_rate),
        );
    }

    /// The points of the scenario.
    pub fn kinds(&self) -> Vec<PointKind> {
        self.msg_rates
            .iter()
            .map(|&r| PointKind::Ws {
                clients: self.clients,
                rooms: self.rooms.min(self.clients),
                msg_rate_per_client: r,
            })
            .collect()
    }
}

fn ws_url(base: &str) -> anyhow::Result<url::Url> {
    let mut u = url::Url::parse(&format!("{base}/ws/chat"))?;
    let _ = u.set_scheme("ws");
    Ok(u)
}

/// What went wrong: lost deliveries, failed connections, malformed frames.
/// Drops are not counted on their own: a member dropped while messages were
/// still being sent shows as lost deliveries, and one closed as the run ends
/// (close handshakes racing the deadline) harmed nothing.
pub fn ws_errors(r: &WsReport) -> u64 {
    r.lost + r.connect_failed + r.malformed
}

/// [`point_flags`] of a ws point: lost, refused and malformed deliveries are errors.
pub fn ws_flags(
    r: Option<&WsReport>,
    shared_cores: bool,
    crashed: Option<Vec<String>>,
) -> (Vec<Flag>, bool) {
    let outcome = r.map(|r| Outcome {
        generator_saturated: r.generator.saturated,
        generator_utilization: r.generator.utilization,
        rate: Some((r.target_msg_rps, r.achieved_msg_rps)),
        errors: ws_errors(r),
        produced: r.delivered > 0,
    });
    point_flags(outcome, shared_cores, crashed)
}

/// One ws-chat point at `kind` (a [`PointKind::Ws`]).
pub async fn ws_point(
    target: &mut dyn Target,
    stack: &str,
    kind: PointKind,
    trial: u32,
    duration: Duration,
    shared_cores: bool,
) -> anyhow::Result<(Point, Option<anyhow::Error>)> {
    let PointKind::Ws {
        clients,
        rooms,
        msg_rate_per_client,
    } = kind
    else {
        anyhow::bail!("not a ws point");
    };
    let mut wc = WsConfig::new(
        ws_url(&target.base_url())?,
        clients,
        rooms,
        msg_rate_per_client,
        duration,
    );
    wc.keep_histogram = true;
    wc.drain = Duration::from_secs(1);
    let bound = duration + wc.drain + wc.connect_timeout;
    let (report, mut usage) = sampled(&*target, ws::execute(&wc), bound).await;
    let crashed = (!target.is_alive()).then(|| target.stderr_tail(20));
    let (ws, err) = match report {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    if let Some(r) = &ws
        && !usage.cpu_source.is_empty()
        && r.delivered > 0
    {
        usage.cpu_us_per_req = Some(usage.cpu_us as f64 / r.delivered as f64);
    }
    let (flags, valid) = ws_flags(ws.as_ref(), shared_cores, crashed);
    let point = Point {
        stack: stack.into(),
        scenario: Scenario::WsChat,
        target: "/ws/chat".into(),
        kind,
        workers: 1,
        trial,
        load: None,
        ws,
        server: usage,
        flags,
        valid,
    };
    Ok((point, err))
}

/// Judges one capacity step of `clients` clients.
pub fn judge_ws(clients: f64, r: &WsReport, slo: Duration) -> CapacityStep {
    let errors = ws_errors(r);
    let failed_by = if errors > 0 {
        Some("errors")
    } else if r.latency.p99_us as u128 >= slo.as_micros() {
        Some("slo")
    } else if r.generator.saturated {
        Some("generator")
    } else if r.achieved_msg_rps < RATE_REACHED * r.target_msg_rps {
        Some("rate")
    } else {
        None
    };
    CapacityStep {
        offered: clients,
        achieved: r.connected as f64,
        p99_us: r.latency.p99_us,
        errors,
        passed: failed_by.is_none(),
        failed_by: failed_by.map(String::from),
    }
}

/// Capacity in clients (10 a room, `capacity_rate` messages/s each) at the SLO.
pub async fn ws_capacity(
    target: &dyn Target,
    cfg: &SuiteConfig,
    stack: &str,
    trial: u32,
    mut on_step: impl FnMut(usize),
) -> CapacityRecord {
    let s = &cfg.settings;
    let wss = WsSettings::from_settings(s);
    let step_len = Duration::from_secs_f64(s.capacity_step_s.max(0.2));
    let slo = Duration::from_secs_f64(s.slo_ms / 1000.0);
    let deadline =
        Instant::now() + (step_len + Duration::from_secs(10)) * s.capacity_max_steps.max(1);
    let nofile = crate::load::sys::raise_nofile_limit();
    let max_clients = MAX_CLIENTS
        .min(super::idle::bounded_connections(usize::MAX, nofile) as f64)
        .max(1.0);
    let mut steps: Vec<CapacityStep> = Vec::new();
    let base = target.base_url();
    while let Some(offered) = next_probe(
        &steps,
        wss.clients as f64,
        s.capacity_max_steps,
        max_clients,
    ) {
        let clients = offered.round().max(1.0);
        if Instant::now() >= deadline || steps.iter().any(|st| st.offered == clients) {
            break;
        }
        on_step(steps.len() + 1);
        let rooms = (clients as usize).div_ceil(CLIENTS_PER_ROOM);
        let step = match ws_url(&base) {
            Ok(url) => {
                let mut wc =
                    WsConfig::new(url, clients as usize, rooms, wss.capacity_rate, step_len);
                wc.drain = Duration::from_secs(1);
                match ws::execute(&wc).await {
                    Ok(r) => judge_ws(clients, &r, slo),
                    Err(_) => CapacityStep {
                        offered: clients,
                        achieved: 0.0,
                        p99_us: 0,
                        errors: 1,
                        passed: false,
                        failed_by: Some("errors".into()),
                    },
                }
            }
            Err(_) => break,
        };
        steps.push(step);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (capacity, limited_by) = conclude(&steps);
    CapacityRecord {
        stack: stack.into(),
        scenario: Scenario::WsChat,
        workers: 1,
        trial,
        slo_ms: s.slo_ms,
        unit: "clients".into(),
        capacity,
        limited_by,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_extra() {
        let mut s = WsSettings::defaults(true);
        s.clients = 300;
        let mut extra = std::collections::BTreeMap::new();
        s.record(&mut extra);
        let v = serde_json::to_value(&extra).unwrap();
        assert_eq!(v["ws_clients"], 300);
        assert_eq!(v["ws_msg_rates"], serde_json::json!([0.5, 1.0, 2.0]));
    }

    #[test]
    fn ws_url_swaps_the_scheme() {
        assert_eq!(
            ws_url("http://127.0.0.1:8080").unwrap().as_str(),
            "ws://127.0.0.1:8080/ws/chat"
        );
    }
}
