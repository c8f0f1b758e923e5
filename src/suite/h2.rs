//! HTTP/2 deployments in the harness (`[start] protocol = "h2c"`, or `"h2"`
//! over TLS): their loads go out over HTTP/2 with the deployment's
//! `streams` a connection, at
//! the same requests in flight as an HTTP/1.1 load of the same level (a
//! level of `c` connections opens `ceil(c / streams)` connections of
//! `streams` lanes each), so HTTP/1.1 and HTTP/2 figures compare at equal
//! concurrency. The results record each such deployment in
//! `settings.extra["http2"]` (`{name: {protocol, streams}}`), which the
//! report's HTTP/1.1-vs-HTTP/2 table reads.
//!
//! A run that names an HTTP/2 deployment (`--stacks node-http@h2`) also
//! measures its [`companions`]: the HTTP/1.1 deployment the table sets it
//! beside and the same server at its other stream counts (`@h2-mux`), so
//! the table shows one stream and many a connection, each against HTTP/1.1.

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

/// `lc` sent over HTTP/2 with `streams` lanes a connection, keeping the
/// lanes (requests in flight) of the HTTP/1.1 load it was built as: h2c for
/// an `http://` target, TLS with ALPN `h2` for the `https://` of a launched
/// HTTP/2-over-TLS deployment, whose certificate (the throwaway one the
/// harness made, `crate::stack::tls`) is accepted without a chain of trust.
pub fn apply(lc: &mut LoadConfig, streams: u32) {
    let streams = streams.max(1) as usize;
    lc.protocol = Wire::Http2;
    lc.insecure = !lc.urls.is_empty() && lc.urls.iter().all(|u| u.scheme() == "https");
    lc.streams = streams;
    lc.connections = lc.connections.div_ceil(streams).max(1);
}

/// The deployments a run adds for the HTTP/2 deployments among `chosen`
/// (found among `all`, the stacks with their variants), each with the
/// sentence saying why: the HTTP/1.1 partner (of the same base,
/// the same framework and server where one exists, else the base's default
/// deployment, as the report pairs them) and the same server's other HTTP/2
/// deployments (same start command, other `streams`). Deployments already
/// chosen are not repeated.
pub fn companions(all: &[Stack], chosen: &[Stack]) -> Vec<(Stack, String)> {
    let mut out: Vec<(Stack, String)> = Vec::new();
    let taken = |name: &str, out: &[(Stack, String)]| {
        chosen.iter().any(|c| c.name == name) || out.iter().any(|(o, _)| o.name == name)
    };
    for h2 in chosen.iter().filter(|s| s.protocol.is_http2()) {
        let Some(base) = all.iter().find(|b| b.name == h2.base) else {
            continue;
        };
        let deployments = crate::stack::deployments(std::slice::from_ref(base));
        let http1: Vec<&Stack> = deployments
            .iter()
            .filter(|d| !d.protocol.is_http2())
            .collect();
        let partner = http1
            .iter()
            .find(|d| d.framework == h2.framework)
            .or_else(|| http1.iter().find(|d| d.variant.is_none()));
        let siblings = deployments
            .iter()
            .filter(|d| d.protocol.is_http2() && d.start == h2.start && d.streams != h2.streams);
        let partner = partner.map(|d| {
            let why = format!(
                "the HTTP/1.1 deployment the HTTP/1.1-vs-HTTP/2 table sets {} beside",
                h2.name
            );
            (*d, why)
        });
        let siblings = siblings.map(|d| {
            let why = format!(
                "{}'s server at {} stream{} a connection",
                h2.name,
                d.streams,
                if d.streams == 1 { "" } else { "s" }
            );
            (d, why)
        });
        for (d, why) in partner.into_iter().chain(siblings) {
            if !taken(&d.name, &out) {
                out.push((d.clone(), why));
            }
        }
    }
    out
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
        assert!(!few.insecure, "h2c has no certificate to accept");
        // A TLS deployment's https:// load goes out as h2 over TLS,
        // accepting the harness's throwaway certificate.
        let tls: url::Url = "https://127.0.0.1:1/json".parse().unwrap();
        let mut h2 = LoadConfig::closed(tls, 8, Duration::from_secs(1));
        apply(&mut h2, 1);
        assert_eq!(h2.protocol_name(), "h2");
        assert!(h2.insecure);
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

    fn deployment(base: &str, variant: Option<&str>, framework: &str, h2: Option<u32>) -> Stack {
        Stack {
            name: variant.map_or(base.to_string(), |v| format!("{base}@{v}")),
            base: base.into(),
            variant: variant.map(String::from),
            framework: framework.into(),
            protocol: if h2.is_some() {
                crate::stack::Protocol::H2c
            } else {
                crate::stack::Protocol::Http1
            },
            streams: h2.unwrap_or(1),
            start: vec![
                if h2.is_some() {
                    "h2-server"
                } else {
                    "h1-server"
                }
                .into(),
            ],
            ..Stack::default()
        }
    }

    fn base(name: &str, framework: &str, variants: Vec<Stack>) -> Stack {
        Stack {
            variants,
            ..deployment(name, None, framework, None)
        }
    }

    fn names(v: &[(Stack, String)]) -> Vec<&str> {
        v.iter().map(|(s, _)| s.name.as_str()).collect()
    }

    #[test]
    fn an_http2_deployment_brings_its_http1_partner_and_its_other_stream_counts() {
        let py = base(
            "py",
            "FastAPI / uvicorn",
            vec![
                deployment("py", Some("granian"), "FastAPI / granian", None),
                deployment("py", Some("h2"), "FastAPI / granian", Some(1)),
                deployment("py", Some("h2-mux"), "FastAPI / granian", Some(16)),
            ],
        );
        let node = base(
            "node",
            "node:http",
            vec![
                deployment("node", Some("cluster"), "node:http", None),
                deployment("node", Some("h2"), "node:http", Some(1)),
                deployment("node", Some("h2-mux"), "node:http", Some(16)),
            ],
        );
        // An HTTP/2 server with no HTTP/1.1 deployment of its framework is
        // set beside the base's default deployment.
        let axum = base(
            "axum",
            "axum",
            vec![deployment("axum", Some("h2"), "axum (hyper h2)", Some(1))],
        );
        let all = vec![py, node, axum];
        let chosen = crate::stack::select(
            &all,
            &["py@h2".into(), "node@h2-mux".into(), "axum@h2".into()],
        )
        .unwrap();
        let got = companions(&all, &chosen);
        assert_eq!(
            names(&got),
            ["py@granian", "py@h2-mux", "node", "node@h2", "axum"]
        );
        assert!(got[0].1.contains("table sets py@h2 beside"), "{}", got[0].1);
        assert_eq!(got[1].1, "py@h2's server at 16 streams a connection");
        assert_eq!(got[3].1, "node@h2-mux's server at 1 stream a connection");
        // Nothing is added twice, nor what the run already names; an
        // HTTP/1.1-only run gets nothing.
        let chosen = crate::stack::select(
            &all,
            &["py@h2".into(), "py@h2-mux".into(), "py@granian".into()],
        )
        .unwrap();
        assert!(companions(&all, &chosen).is_empty());
        let chosen = crate::stack::select(&all, &["node".into(), "py".into()]).unwrap();
        assert!(companions(&all, &chosen).is_empty());
    }

    #[test]
    fn built_in_fastify_h2_brings_its_http1_partner_and_mux() {
        let all = crate::stack::discover(&crate::stack::stacks_root()).unwrap();
        let chosen = crate::stack::select(&all, &["node-fastify@h2".into()]).unwrap();
        assert_eq!(chosen[0].protocol, crate::stack::Protocol::H2c);
        let got = companions(&all, &chosen);
        assert_eq!(names(&got), ["node-fastify", "node-fastify@h2-mux"]);
    }
}
