//! HTTP/2 over TLS (a stack with `protocol = "h2"`): a server on the
//! throwaway certificate ringside makes at launch (`stack::tls`) passes the
//! contract over `https://` with ALPN `h2`, each scenario recording that h2
//! was really negotiated; the launch's health probe speaks the same; a TLS
//! server that does not pick `h2` fails every scenario saying so; and an
//! `https://` URL is not verified as h2c (nor an h2 deployment over http://).

mod verify_support;

use std::sync::Arc;

use ringside::scenario::Scenario;
use ringside::stack::Protocol;
use ringside::stack::tls::ThrowawayCert;
use ringside::verify::{TLS_NEGOTIATION_CHECK, VerifyOptions, verify_url_with};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use verify_support::serve_tls;

fn h2() -> VerifyOptions {
    VerifyOptions {
        protocol: Protocol::H2,
        ..VerifyOptions::default()
    }
}

/// A server config from the files a launch hands over (`TLS_CERT`, `TLS_KEY`).
fn server_config(cert: &ThrowawayCert, alpn: &[&[u8]]) -> Arc<rustls::ServerConfig> {
    let chain = vec![CertificateDer::from_pem_file(cert.cert_path()).unwrap()];
    let key = PrivateKeyDer::from_pem_file(cert.key_path()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(cfg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_h2_server_on_the_throwaway_certificate_passes_over_https() {
    let cert = ThrowawayCert::create().unwrap();
    let server = serve_tls(server_config(&cert, &[b"h2"])).await;
    assert!(server.url.starts_with("https://"));
    let report = verify_url_with(&server.url, &verify_support::http_scenarios(), None, &h2()).await;
    assert!(report.all_passed(), "{}", verify_support::failures(&report));
    for sc in verify_support::http_scenarios() {
        let checks = verify_support::checks_of(&report, sc);
        assert!(checks.contains(&TLS_NEGOTIATION_CHECK), "{sc}: {checks:?}");
        assert!(
            checks.iter().any(|c| c.contains("Server and Date")),
            "{sc}: the header rule is checked over TLS too: {checks:?}"
        );
    }
    // The launch's health probe, over TLS with ALPN h2.
    ringside::stack::h2::health(Protocol::H2, server.port)
        .await
        .unwrap();
    let resp = ringside::stack::h2::get_over(
        Protocol::H2,
        server.port,
        "/json",
        std::time::Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(resp.version, http::Version::HTTP_2);
    assert_eq!(resp.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_that_picks_no_h2_fails_saying_why() {
    let cert = ThrowawayCert::create().unwrap();
    let server = serve_tls(server_config(&cert, &[b"http/1.1"])).await;
    let report = verify_url_with(&server.url, &[Scenario::Json, Scenario::Db], None, &h2()).await;
    assert!(!report.all_passed());
    assert_eq!(report.checks.len(), 2, "{:?}", report.checks);
    for c in &report.checks {
        assert_eq!(c.check, TLS_NEGOTIATION_CHECK);
        assert!(!c.passed);
        assert!(
            c.detail.contains("ALPN `h2`") && c.detail.contains("does not speak HTTP/2 over TLS"),
            "{}",
            c.detail
        );
    }
    let health = ringside::stack::h2::health(Protocol::H2, server.port).await;
    let err = health.unwrap_err();
    assert!(err.contains("did not pick h2"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_verified_only_as_h2_over_tls() {
    let cert = ThrowawayCert::create().unwrap();
    let server = serve_tls(server_config(&cert, &[b"h2"])).await;
    let h2c = VerifyOptions {
        protocol: Protocol::H2c,
        ..VerifyOptions::default()
    };
    let report = verify_url_with(&server.url, &[Scenario::Json], None, &h2c).await;
    assert!(!report.all_passed());
    assert!(
        report
            .checks
            .iter()
            .all(|c| c.check == "base URL" && c.detail.contains("protocol = \"h2\"")),
        "{:?}",
        report.checks
    );
    let plain = server.url.replace("https://", "http://");
    let report = verify_url_with(&plain, &[Scenario::Json], None, &h2()).await;
    assert!(
        report
            .checks
            .iter()
            .all(|c| !c.passed && c.detail.contains("https://")),
        "{:?}",
        report.checks
    );
}
