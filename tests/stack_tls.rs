//! A `protocol = "h2"` deployment's launch: ringside makes a certificate and
//! key, hands them over in TLS_CERT/TLS_KEY (the fixture serves TLS with
//! them), checks health over TLS offering ALPN `h2` only, refuses a server
//! that does not pick h2 with a sentence saying so, and leaves no
//! certificate behind.

use std::path::PathBuf;

use ringside::stack::{self, LaunchOpts};

#[tokio::test]
async fn a_tls_launch_hands_over_a_certificate_and_removes_it() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls-stacks/tls-http1/stack.toml");
    let st = stack::load_manifest(&path).unwrap();
    assert_eq!(st.protocol, stack::Protocol::H2);
    let err = stack::launch(&st, &LaunchOpts::default())
        .await
        .expect_err("an HTTP/1.1-only TLS server is not healthy as h2");
    let msg = format!("{err:#}");
    assert!(msg.contains("over TLS (ALPN h2)"), "{msg}");
    assert!(msg.contains("did not pick h2"), "{msg}");
    // The server loaded the certificate it was handed (else it would have
    // exited at startup), and printed where it was.
    let cert = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("cert loaded: "))
        .unwrap_or_else(|| panic!("the fixture names its certificate: {msg}"));
    let cert = PathBuf::from(cert);
    let dir = cert.parent().unwrap();
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ringside-tls-"),
        "{}",
        dir.display()
    );
    assert!(!cert.exists(), "{} outlived the launch", cert.display());
    assert!(!dir.exists(), "{} outlived the launch", dir.display());
}
