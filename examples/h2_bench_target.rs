//! A small, fast HTTP/2 target for benchmarking load generators
//! (`bench/load_vs_h2load.sh`): hyper's HTTP/2 server, h2c with prior
//! knowledge, on a single-threaded tokio runtime.
//!
//! `cargo run --release --example h2_bench_target -- [ADDR]` (default
//! 127.0.0.1:8098) prints `listening on ADDR` once ready. `/plaintext`
//! answers `Hello, World!` (13 bytes); anything else is 404.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match req.uri().path() {
        "/plaintext" => Response::builder()
            .header("Content-Type", "text/plain")
            .header("Server", "bench")
            .body(Full::new(Bytes::from_static(b"Hello, World!"))),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"not found"))),
    };
    Ok(response.expect("static response parts are valid"))
}

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8098".into())
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
                let _ = http2::Builder::new(TokioExecutor::new())
                    .max_concurrent_streams(1024)
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    })
}
