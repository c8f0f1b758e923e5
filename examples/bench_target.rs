//! A small, fast HTTP/1.1 target for benchmarking load generators
//! (`bench/load_vs_wrk.sh`): hyper on a single-threaded tokio runtime.
//!
//! `cargo run --release --example bench_target -- [ADDR]` (default 127.0.0.1:8099)
//! prints `listening on ADDR` once ready. `/plaintext` answers `Hello, World!`
//! (13 bytes); `/delay?ms=N` answers after N ms; anything else is 404.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match req.uri().path() {
        "/plaintext" => Response::builder()
            .header("Content-Type", "text/plain")
            .header("Server", "bench")
            .body(Full::new(Bytes::from_static(b"Hello, World!"))),
        "/delay" => {
            let ms = req
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("ms="))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
                .min(10_000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Response::builder().body(Full::new(Bytes::from_static(b"ok")))
        }
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"not found"))),
    };
    Ok(response.expect("static response parts are valid"))
}

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    })
}
