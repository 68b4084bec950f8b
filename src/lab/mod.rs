//! `tiersim lab`: a local web app where students change a scenario's knobs and the simulation
//! answers, variants side by side, with the replay of `report.html`.
//!
//! An axum server on 127.0.0.1 only (the CLI binds the listener), on the tokio the live mode
//! already uses. It serves the page (`index.html`, `lab.js`, `lab.css` and the report's
//! `replay.js`, all embedded in the binary: no build step, no network) and the JSON API of
//! `api.rs`: `GET /api/scenarios`, `POST /api/run` and `POST /api/scenario` (the TOML file of what
//! the page shows). Runs happen one at a time per page: a page sends the id it chose once, and a
//! newer run from the same page stops the one in progress (which answers 409); runs of different
//! pages go on side by side, at most [`RUNS_AT_ONCE`] at a time (the others wait their turn).
//! Each runs on a blocking thread, bounded by the resource guard and [`api::RUN_LIMIT`]. It does
//! not write files, keep state between requests beyond the runs in progress, or listen beyond
//! loopback.

pub mod api;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("lab.js");
const STYLE: &str = include_str!("lab.css");

/// The largest request body: a scenario of at most 1 MiB and its changes.
const MAX_BODY: usize = 2 << 20;

/// Runs (of different pages) simulating at once; the others wait. Each run already uses every
/// core for its variants, so more at once would only share them thinner.
pub const RUNS_AT_ONCE: usize = 2;

/// What every request shares.
struct Lab {
    /// `GET /api/scenarios`, computed once.
    scenarios: Value,
    /// Per page, the flag that stops its run in progress (set when a newer one comes).
    pages: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// [`RUNS_AT_ONCE`] permits.
    slots: Semaphore,
}

impl Lab {
    /// The stop flag of a new run of `page`; the page's previous run, if any, is told to stop.
    fn begin(&self, page: Option<&str>) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Some(page) = page {
            let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(old) = pages.insert(page.to_string(), flag.clone()) {
                old.store(true, Ordering::Relaxed);
            }
        }
        flag
    }

    /// Forgets `page`'s run if `flag` is still its latest.
    fn end(&self, page: Option<&str>, flag: &Arc<AtomicBool>) {
        if let Some(page) = page {
            let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
            if pages.get(page).is_some_and(|f| Arc::ptr_eq(f, flag)) {
                pages.remove(page);
            }
        }
    }
}

/// The app: the page, its files and the API. `first` is the scenario `tiersim lab` was given
/// (file name and text), offered first.
pub fn app(first: Option<(&str, &str)>) -> Router {
    let lab = Arc::new(Lab {
        scenarios: api::scenarios(first),
        pages: Mutex::new(HashMap::new()),
        slots: Semaphore::new(RUNS_AT_ONCE),
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
    let page = request.page.clone();
    let replaced = lab.begin(page.as_deref());
    let (status, body) = run_in_turn(&lab, request, replaced.clone()).await;
    lab.end(page.as_deref(), &replaced);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// Waits for a slot, then runs on a blocking thread (a run replaced while it waited does not).
async fn run_in_turn(
    lab: &Lab,
    request: api::RunRequest,
    replaced: Arc<AtomicBool>,
) -> api::Answer {
    let Ok(_slot) = lab.slots.acquire().await else {
        return (503, serde_json::json!({ "error": "the lab is stopping" }));
    };
    if replaced.load(Ordering::Relaxed) {
        return api::replaced_answer();
    }
    let answer = tokio::task::spawn_blocking(move || api::run(&request, &replaced)).await;
    answer.unwrap_or_else(|e| {
        let message = format!("the run failed: {e}");
        (500, serde_json::json!({ "error": message }))
    })
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
