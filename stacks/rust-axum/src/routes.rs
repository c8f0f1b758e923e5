//! The HTTP endpoints of the contract, one handler each.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::chat::{self, Rooms};
use crate::compute::{self, param};
use crate::db::{self, Db, DbError, Fortune};

pub struct AppState {
    pub db: Db,
    pub rooms: Rooms,
}

type Shared = State<Arc<AppState>>;
type Params = Query<HashMap<String, String>>;

pub fn router(db: Db) -> Router {
    let state = Arc::new(AppState {
        db,
        rooms: Rooms::default(),
    });
    Router::new()
        .route("/health", get(health))
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(single_query))
        .route("/queries", get(queries))
        .route("/fortunes", get(fortunes))
        .route("/updates", get(updates))
        .route("/io", get(io))
        .route("/cpu", get(cpu))
        .route("/numeric", get(numeric))
        .route("/ws/chat", get(chat::upgrade))
        .with_state(state)
        .layer(axum::middleware::map_response(server_header))
}

/// spec/fairness.md: a `Server` header on every response (hyper adds `Date`).
async fn server_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::SERVER, HeaderValue::from_static("axum"));
    response
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("database error: {}", self.0),
        )
            .into_response()
    }
}

async fn health(State(state): Shared) -> Response {
    match state.db.healthy().await {
        Ok(()) => "ok".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database not ready: {}", e.0),
        )
            .into_response(),
    }
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn single_query(State(state): Shared) -> Result<Json<db::World>, DbError> {
    let mut worlds = state.db.queries(vec![db::random_id()]).await?;
    Ok(Json(worlds.remove(0)))
}

/// `q` in `1..=500`, default 1.
fn query_count(params: &HashMap<String, String>) -> usize {
    param(params, "q", 1, 1, 500) as usize
}

fn random_ids(n: usize) -> Vec<i32> {
    (0..n).map(|_| db::random_id()).collect()
}

async fn queries(
    State(state): Shared,
    Query(params): Params,
) -> Result<Json<Vec<db::World>>, DbError> {
    let ids = random_ids(query_count(&params));
    Ok(Json(state.db.queries(ids).await?))
}

/// `n` distinct random ids: /updates writes each row once (spec/fairness.md R7).
fn distinct_ids(n: usize) -> Vec<i32> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let id = db::random_id();
        if seen.insert(id) {
            ids.push(id);
        }
    }
    ids
}

async fn updates(
    State(state): Shared,
    Query(params): Params,
) -> Result<Json<Vec<db::World>>, DbError> {
    let ids = distinct_ids(query_count(&params));
    Ok(Json(state.db.updates(ids).await?))
}

#[derive(Template)]
#[template(path = "fortunes.html")]
struct FortunesPage {
    fortunes: Vec<Fortune>,
}

async fn fortunes(State(state): Shared) -> Result<Html<String>, Response> {
    let mut fortunes = state
        .db
        .fortunes()
        .await
        .map_err(IntoResponse::into_response)?;
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_string(),
    });
    // `str` orders by bytes, which for UTF-8 is code point order.
    fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
    FortunesPage { fortunes }
        .render()
        .map(Html)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

#[derive(Serialize)]
struct Waited {
    waited_ms: i64,
}

async fn io(Query(params): Params) -> Json<Waited> {
    let ms = param(&params, "ms", 50, 0, 10_000);
    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
    Json(Waited { waited_ms: ms })
}

#[derive(Serialize)]
struct Primes {
    n: u64,
    primes: u64,
}

/// Computed on the worker thread that serves the request, like every stack's
/// CPU work: `--workers` bounds the cores it uses.
async fn cpu(Query(params): Params) -> Json<Primes> {
    let n = param(&params, "n", 10_000, 1, 1_000_000) as u64;
    Json(Primes {
        n,
        primes: compute::count_primes(n),
    })
}

async fn numeric(Query(params): Params) -> Json<compute::Numeric> {
    let n = param(&params, "n", 100_000, 1, 1_000_000) as usize;
    Json(compute::numeric(n))
}
