//! HTTP/2 deployments in the harness (`[start] protocol = "h2c"`): their
//! loads go out over h2c with the deployment's `streams` a connection, at
//! the same requests in flight as an HTTP/1.1 load of the same level (a
//! level of `c` connections opens `ceil(c / streams)` connections of
//! `streams` lanes each), so HTTP/1.1 and HTTP/2 figures compare at equal
//! concurrency. The results record each such deployment in
//! `settings.extra["http2"]` (`{name: {protocol, streams}}`), which the
//! report's HTTP/1.1-vs-HTTP/2 table reads.

use std::collections::BTreeMap;

use crate::load::LoadConfig;
use crate::load::config::Protocol as Wire;
use crate::stack::Stack;

/// Key of `settings.extra` naming the HTTP/2 deployments of the run.
pub const HTTP2_KEY: &str = "http2";

/// Records `stack` under [`HTTP2_KEY`] when it speaks HTTP/2.
pub fn record(extra: &mut BTreeMap<String, serde_json::Value>, stack: &Stack) {
    if !stack.protocol.is_http2() {
        return;
    }
    let entry = extra
        .entry(HTTP2_KEY.to_string())
        .or_insert_with(|| serde_json::json!({}));
    if let Some(map) = entry.as_object_mut() {
        map.insert(
            stack.name.clone(),
            serde_json::json!({ "protocol": stack.protocol.name(), "streams": stack.streams }),
        );
    }
}

/// `lc` sent over h2c with `streams` lanes a connection, keeping the lanes
/// (requests in flight) of the HTTP/1.1 load it was built as.
pub fn apply(lc: &mut LoadConfig, streams: u32) {
    let streams = streams.max(1) as usize;
    lc.protocol = Wire::Http2;
    lc.streams = streams;
    lc.connections = lc.connections.div_ceil(streams).max(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn streams_keep_the_requests_in_flight() {
        let url: url::Url = "http://127.0.0.1:1/json".parse().unwrap();
        let mut lc = LoadConfig::closed(url.clone(), 64, Duration::from_secs(1));
        apply(&mut lc, 16);
        assert_eq!((lc.connections, lc.streams), (4, 16));
        assert_eq!(lc.protocol_name(), "h2c");
        assert_eq!(lc.connections * lc.streams_per_connection(), 64);
        let mut one = LoadConfig::closed(url.clone(), 64, Duration::from_secs(1));
        apply(&mut one, 1);
        assert_eq!((one.connections, one.streams), (64, 1));
        assert_eq!(one.protocol, Wire::Http2);
        let mut few = LoadConfig::open(url, 3, 100.0, Duration::from_secs(1));
        apply(&mut few, 16);
        assert_eq!((few.connections, few.streams), (1, 16));
    }

    #[test]
    fn only_http2_deployments_are_recorded() {
        let mut extra = BTreeMap::new();
        let h1 = Stack {
            name: "node-http".into(),
            ..Stack::default()
        };
        record(&mut extra, &h1);
        assert!(extra.is_empty());
        let h2 = Stack {
            name: "node-http@h2".into(),
            protocol: crate::stack::Protocol::H2c,
            streams: 8,
            ..Stack::default()
        };
        record(&mut extra, &h2);
        assert_eq!(
            extra[HTTP2_KEY],
            serde_json::json!({"node-http@h2": {"protocol": "h2c", "streams": 8}})
        );
    }
}
