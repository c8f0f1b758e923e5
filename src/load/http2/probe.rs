//! Before an HTTP/2 run: does each target really speak HTTP/2? A server
//! that only speaks HTTP/1.1 is refused with a sentence saying so (exit 1),
//! rather than a run of protocol errors.
//!
//! h2c: the probe sends the HTTP/2 connection preface and an empty SETTINGS
//! frame, and reads the first 9 bytes back: an HTTP/2 server answers with its
//! SETTINGS frame; an HTTP/1.1 server answers `HTTP/1.1 400 …` or closes.
//! TLS: the server must pick `h2` by ALPN.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Endpoint, tls};

/// The client connection preface (RFC 9113 §3.4) and an empty SETTINGS frame.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
/// HTTP/2 frame type of SETTINGS.
const SETTINGS: u8 = 0x4;

/// The refusal for a TLS server that did not pick `h2` by ALPN.
pub fn not_h2_over_tls(addr: SocketAddr, alpn: Option<&[u8]>) -> String {
    let picked = match alpn {
        Some(p) => format!("picked `{}`", String::from_utf8_lossy(p)),
        None => "picked no protocol".into(),
    };
    refusal_over_tls(addr, &picked)
}

fn refusal_over_tls(addr: SocketAddr, picked: &str) -> String {
    format!(
        "{addr} does not speak HTTP/2 over TLS: offered ALPN `h2`, the server {picked} \
         (an HTTP/1.1-only server) — run without --http2 against an http:// URL"
    )
}

/// Checks that `endpoint` speaks HTTP/2 (see the module doc).
pub async fn check(endpoint: &Endpoint, timeout: Duration) -> anyhow::Result<()> {
    let addr = endpoint.addr;
    let work = async {
        let tcp = super::super::http::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        match &endpoint.tls {
            None => preface(tcp, addr).await,
            Some((cfg, name)) => {
                let stream = match tokio_rustls::TlsConnector::from(cfg.clone())
                    .connect(name.clone(), tcp)
                    .await
                {
                    Ok(stream) => stream,
                    Err(err) if refused_alpn(&err) => {
                        anyhow::bail!(
                            "{}",
                            refusal_over_tls(addr, "refused it (alert no_application_protocol)")
                        )
                    }
                    Err(err) => {
                        return Err(anyhow::Error::new(err).context(format!(
                            "TLS handshake with {addr} (a self-signed certificate needs --insecure)"
                        )));
                    }
                };
                let alpn = stream.get_ref().1.alpn_protocol();
                if alpn != Some(tls::ALPN_H2) {
                    anyhow::bail!("{}", not_h2_over_tls(addr, alpn));
                }
                preface(stream, addr).await
            }
        }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        anyhow::anyhow!(
            "{addr} did not answer the HTTP/2 connection preface within {}: it does not speak \
             HTTP/2 with prior knowledge (an HTTP/1.1-only server may wait for the rest of a \
             request) — run without --http2",
            humantime::format_duration(timeout)
        )
    })?
}

/// True when the server ended the handshake with `no_application_protocol`:
/// it serves none of the protocols offered (here, only `h2`).
/// True when the TLS server refused every offered ALPN protocol (alert `no_application_protocol`).
pub fn refused_alpn(err: &std::io::Error) -> bool {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
            )
        })
}

async fn preface<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    addr: SocketAddr,
) -> anyhow::Result<()> {
    stream
        .write_all(PREFACE)
        .await
        .with_context(|| format!("sending the HTTP/2 preface to {addr}"))?;
    let mut head = [0u8; 9];
    let mut got = 0;
    while got < head.len() {
        match stream.read(&mut head[got..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let head = &head[..got];
    if head.starts_with(b"HTTP/") {
        anyhow::bail!(
            "{addr} answered the HTTP/2 preface with `{}`: the server speaks only HTTP/1.1 \
             — run without --http2 (h2c needs a server that accepts HTTP/2 with prior knowledge)",
            String::from_utf8_lossy(head).trim()
        );
    }
    if head.len() < 9 {
        anyhow::bail!(
            "{addr} closed the connection on the HTTP/2 preface: it does not speak HTTP/2 \
             (an HTTP/1.1-only server?) — run without --http2"
        );
    }
    if head[3] != SETTINGS {
        anyhow::bail!(
            "{addr} did not answer the HTTP/2 preface with a SETTINGS frame (frame type {}): \
             it does not speak HTTP/2 — run without --http2",
            head[3]
        );
    }
    Ok(())
}
