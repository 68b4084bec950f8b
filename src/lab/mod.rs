//! `tiersim lab`: a local web app where students change a scenario's knobs and the simulation
//! answers, variants side by side, with the replay of `report.html`.
//!
//! An axum server on 127.0.0.1 only (the CLI binds the listener), on the tokio the live mode
//! already uses. It serves the page (`index.html`, `lab.js`, `lab.css` and the report's
//! `replay.js`, all embedded in the binary: no build step, no network) and the JSON API of
//! `api.rs`: `GET /api/scenarios`, `POST /api/run` and `POST /api/scenario` (the TOML file of what
//! the page shows). Runs happen one at a time (a mutex), on a
//! blocking thread, bounded by the resource guard and [`api::RUN_LIMIT`]. It does not write
//! files, keep state between requests or listen beyond loopback.

pub mod api;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Mutex;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("lab.js");
const STYLE: &str = include_str!("lab.css");

/// The largest request body: a scenario of at most 1 MiB and its changes.
const MAX_BODY: usize = 2 << 20;

/// What every request shares.
struct Lab {
    /// `GET /api/scenarios`, computed once.
    scenarios: Value,
    /// Held while a run simulates: one run at a time.
    running: Mutex<()>,
}

/// The app: the page, its files and the API. `first` is the scenario `tiersim lab` was given
/// (file name and text), offered first.
pub fn app(first: Option<(&str, &str)>) -> Router {
    let lab = Arc::new(Lab {
        scenarios: api::scenarios(first),
        running: Mutex::new(()),
    });
    Router::new()
        .route(
            "/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/lab.js",
            get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/replay.js",
            get(|| async {
                file(
                    "text/javascript; charset=utf-8",
                    crate::report::replay::SCRIPT,
                )
            }),
        )
        .route(
            "/lab.css",
            get(|| async { file("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/scenarios", get(scenarios))
        .route("/api/run", post(run))
        .route("/api/scenario", post(scenario_file))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(lab)
}

fn file(kind: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}

async fn scenarios(State(lab): State<Arc<Lab>>) -> Response {
    axum::Json(lab.scenarios.clone()).into_response()
}

/// `POST /api/run`: a body that is not a run request answers 400 with its problem.
async fn run(State(lab): State<Arc<Lab>>, body: axum::body::Bytes) -> Response {
    let request: api::RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let problem = serde_json::json!({ "problems": [{
                "key": "", "line": e.line(), "column": e.column(), "set": null,
                "message": format!("the request is not {{\"scenario\": TOML text, \"set\": {{KEY: VALUE}}}}: {e}"),
                "text": format!("request body: {e}"),
            }]});
            return (StatusCode::BAD_REQUEST, axum::Json(problem)).into_response();
        }
    };
    let _one_at_a_time = lab.running.lock().await;
    let answer = tokio::task::spawn_blocking(move || api::run(&request)).await;
    let (status, body) = answer.unwrap_or_else(|e| {
        let message = format!("the run failed: {e}");
        (500, serde_json::json!({ "error": message }))
    });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// `POST /api/scenario`: the TOML file of a scenario with its changes.
async fn scenario_file(body: axum::body::Bytes) -> Response {
    let answer = match serde_json::from_slice::<api::RunRequest>(&body) {
        Ok(request) => api::scenario_file(&request),
        Err(e) => (
            400,
            serde_json::json!({ "error": format!("request body: {e}") }),
        ),
    };
    let status = StatusCode::from_u16(answer.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(answer.1)).into_response()
}

/// Serves the app on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    first: Option<(&str, &str)>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(first))
        .with_graceful_shutdown(stop)
        .await
}
