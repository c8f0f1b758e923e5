//! HTTP/2 with prior knowledge (h2c) for the stacks that speak it
//! (`[start] protocol = "h2c"`): one request on a fresh connection, on
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
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .map_err(|e| not_h2(&e))?;
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        let uri = format!("http://127.0.0.1:{port}{path}");
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
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no HTTP/2 answer within {}", fmt(timeout))))
}

/// `GET /health` over h2c: `Ok` on `200` with body `ok`.
pub async fn health(port: u16) -> Result<(), String> {
    let resp = get(port, "/health", Duration::from_secs(2)).await?;
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
    format!("HTTP/2 with prior knowledge failed ({out}): does the server speak h2c?")
}

fn fmt(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
