//! HTTP/2 with prior knowledge (h2c) or over TLS (ALPN `h2`) for the stacks
//! that speak it (`[start] protocol = "h2c"` or `"h2"`): one request on a
//! fresh connection, on
//! hyper's HTTP/2 client, for the launch's `GET /health` and the verifier's
//! negotiation check. A server that answers the connection preface in
//! HTTP/1.1 (or closes) fails with a sentence saying so.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// One HTTP/2 response, body read in full.
#[derive(Debug, Clone)]
pub struct H2Response {
    pub status: u16,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Most body bytes read from one answer here (health and probes are small).
const MAX_BODY: usize = 1 << 20;

/// `GET path` over a fresh h2c connection to `127.0.0.1:port`, within `timeout`.
pub async fn get(port: u16, path: &str, timeout: Duration) -> Result<H2Response, String> {
    get_over(super::Protocol::H2c, port, path, timeout).await
}

/// `GET path` over a fresh HTTP/2 connection to `127.0.0.1:port` in
/// `protocol`: h2c with prior knowledge, or TLS offering ALPN `h2` only
/// (any certificate accepted: the server is one the harness launched on
/// loopback with the throwaway certificate it made, [`super::tls`]); a
/// server that picks no `h2` fails with a sentence saying so.
pub async fn get_over(
    protocol: super::Protocol,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<H2Response, String> {
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        if !protocol.is_tls() {
            return exchange(tcp, "http", port, path).await;
        }
        let tls = crate::load::http2::tls::client_config(true).map_err(|e| format!("{e:#}"))?;
        let name =
            rustls::pki_types::ServerName::IpAddress(std::net::IpAddr::from([127, 0, 0, 1]).into());
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                if crate::load::http2::probe::refused_alpn(&e) {
                    "the server did not pick h2 by ALPN (it refused it: alert no_application_protocol): it does not serve HTTP/2 over TLS".to_string()
                } else {
                    format!("TLS handshake failed ({e}): does the server speak TLS?")
                }
            })?;
        let alpn = stream.get_ref().1.alpn_protocol();
        if alpn != Some(crate::load::http2::tls::ALPN_H2) {
            let picked = alpn.map_or("none".into(), |p| String::from_utf8_lossy(p).into_owned());
            return Err(format!(
                "the server did not pick h2 by ALPN (picked: {picked}): it does not serve HTTP/2 over TLS"
            ));
        }
        exchange(stream, "https", port, path).await
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no HTTP/2 answer within {}", fmt(timeout))))
}

/// One request over `io`, whose HTTP/2 connection is opened here.
async fn exchange<T>(io: T, scheme: &str, port: u16, path: &str) -> Result<H2Response, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .map_err(|e| not_h2(&e))?;
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    let uri = format!("{scheme}://127.0.0.1:{port}{path}");
    let req = http::Request::get(uri)
        .header(http::header::USER_AGENT, "ringside")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("bad request path `{path}`: {e}"))?;
    let resp = sender.send_request(req).await.map_err(|e| not_h2(&e));
    let out = match resp {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("reading the body: {e}"))?
                .to_bytes();
            Ok(H2Response {
                status: parts.status.as_u16(),
                version: parts.version,
                headers: parts.headers,
                body,
            })
        }
        Err(e) => Err(e),
    };
    task.abort();
    out
}

/// `GET /health` over HTTP/2 in `protocol` (h2c or TLS): `Ok` on `200` with body `ok`.
pub async fn health(protocol: super::Protocol, port: u16) -> Result<(), String> {
    let resp = get_over(protocol, port, "/health", Duration::from_secs(2)).await?;
    let text = String::from_utf8_lossy(&resp.body);
    if resp.status == 200 && text.trim() == "ok" {
        Ok(())
    } else {
        let shown: String = text.trim().chars().take(60).collect();
        Err(format!("status {}, body {shown:?}", resp.status))
    }
}

/// hyper's error with its causes, saying when the server is not speaking HTTP/2.
fn not_h2(err: &hyper::Error) -> String {
    use std::error::Error;
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    format!(
        "HTTP/2 failed ({out}): does the server speak HTTP/2 (h2c with prior knowledge, or h2 after TLS)?"
    )
}

fn fmt(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
