//! The `ws-chat` scenario's settings: chat clients in rooms at fixed message
//! rates (delivery latency from the intended send time, CPU per delivered
//! message) and capacity in clients at the SLO. The loads themselves are
//! [`super::workload::Workload`]s like every other.

use crate::results::PointKind;

/// Clients per room in the capacity search.
pub const CLIENTS_PER_ROOM: usize = 10;
/// Most clients a capacity search offers (fewer when the open-file limit
/// is lower). Not the generator's limit: a step where it was saturated
/// (its CPU while sending ≥ 90 % of its pinned cores) is judged
/// `generator` and bounds nothing from above. At 5,000, node-http passed
/// the ceiling in one trial of the 2026-12-04 default run (p99 65 ms),
/// leaving K7 only a lower bound to read.
pub const MAX_CLIENTS: f64 = 10_000.0;
/// The seed of a cell's first capacity search: this many cores' worth of
/// deliveries at the CPU per delivery of the fixed 200-client load. That
/// cost overstates the cost at capacity (wake-ups amortise under load):
/// seeds at 0.8 cores' worth were 2,002–2,287 clients for node-http
/// (capacity ≥ 4,203) and 1,035–1,188 for python-fastapi (2,366–3,549) in
/// the default runs of 2026-12-04, about half the capacity.
pub const SEED_CORES: f64 = 1.2;

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
            clients: 200,
            rooms: 10,
            msg_rates: if full { vec![0.5, 1.0, 2.0] } else { vec![1.0] },
            capacity_rate: 1.0,
        }
    }

    /// Reads the settings recorded in a run (defaults for what is missing).
    pub fn from_settings(s: &crate::results::Settings) -> WsSettings {
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

/// `ws://HOST:PORT/ws/chat` of a server's base URL.
pub fn ws_url(base: &str) -> anyhow::Result<url::Url> {
    let mut u = url::Url::parse(&format!("{base}/ws/chat"))?;
    let _ = u.set_scheme("ws");
    Ok(u)
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
