//! ringside's Rust baseline: every endpoint of the workload contract
//! (`spec/contract.md`) on axum + tokio, written the way a production axum
//! service is: one multi-thread runtime with `--workers` worker threads,
//! pooled database connections, a template engine with escaping, no logging.
//!
//! Usage: `ringside-axum --port P --workers N [--h2]` (defaults:
//! `RINGSIDE_PORT`, `RINGSIDE_WORKERS`, else 8080 and the number of cores).
//! Listens on 127.0.0.1 only. `--h2` (rust-axum@h2) serves the same router
//! on hyper's HTTP/2 server only (h2c, prior knowledge) instead of
//! `axum::serve`'s HTTP/1.1. The database comes from `RINGSIDE_DB` and
//! friends (see `db`).

mod chat;
mod compute;
mod db;
mod routes;

use std::process::ExitCode;

/// mimalloc, as TechEmpower's axum entry (spec/fairness.md, rust-axum).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command line: `--port P --workers N [--h2]`.
struct Args {
    port: u16,
    workers: usize,
    h2: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let env_num = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
        let mut port = env_num("RINGSIDE_PORT").unwrap_or_else(|| "8080".into());
        let mut workers = env_num("RINGSIDE_WORKERS").unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .to_string()
        });
        let mut h2 = false;
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let slot = match flag.as_str() {
                "--h2" => {
                    h2 = true;
                    continue;
                }
                "--port" => &mut port,
                "--workers" => &mut workers,
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (usage: --port P --workers N [--h2])"
                    ))
                }
            };
            *slot = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        }
        Ok(Args {
            port: port
                .parse()
                .map_err(|_| format!("--port: bad port {port:?}"))?,
            workers: workers
                .parse()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("--workers: expected an integer >= 1, got {workers:?}"))?,
            h2,
        })
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("ringside-axum: {msg}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers)
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("ringside-axum: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    use axum::serve::ListenerExt;
    let db = db::Db::from_env(args.workers)?;
    let app = routes::router(db);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("listening on 127.0.0.1:{}: {e}", args.port))?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    if args.h2 {
        return serve_h2(listener, app).await;
    }
    axum::serve(listener, app)
        .await
        .map_err(|e| format!("serving: {e}"))
}

/// The router on hyper's HTTP/2 server, one task a connection, as
/// `axum::serve` does for HTTP/1.1 (an accept error is retried after a pause).
async fn serve_h2(
    mut listener: impl axum::serve::Listener<Io = tokio::net::TcpStream>,
    app: axum::Router,
) -> Result<(), String> {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::service::TowerToHyperService;
    loop {
        let (tcp, _) = listener.accept().await;
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        });
    }
}
