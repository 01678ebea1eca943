//! The web console at `/console`: overview, events, dead letters, "try it" and the
//! configuration, as server-rendered pages (read-only pages work without JavaScript; a
//! little embedded script refreshes them and drives the actions), and the JSON API they
//! are built on (`/stats`, `/dead-letters`, `/try`, `/config`, with `/events`).

mod api;
pub mod config_view;
mod html;
mod pages;
pub mod stats;
mod try_it;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router as HttpRouter;
use domain::ports::{AttioGateway, DeadLetters, EventSpool, EventTrace};
use serde_json::Value;

use super::access::{Access, Verdict};
use crate::delivery::DeliveryStatus;
use crate::routing::Router;
pub use config_view::ConfigView;
pub use stats::Sampler;

/// What the console and its API read.
#[derive(Clone)]
pub struct Console(pub Arc<ConsoleInner>);

pub struct ConsoleInner {
    /// `None` when the trace is off.
    pub trace: Option<Arc<dyn EventTrace>>,
    pub spool: Arc<dyn EventSpool>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub router: Arc<Router>,
    pub gateway: Arc<dyn AttioGateway>,
    pub status: Arc<DeliveryStatus>,
    pub sampler: Arc<Sampler>,
    pub config: ConfigView,
    pub attio_base_url: String,
    pub write_limit: u32,
    pub access: Access,
    schema: tokio::sync::Mutex<Option<(Instant, Value)>>,
}

impl Console {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        trace: Option<Arc<dyn EventTrace>>,
        spool: Arc<dyn EventSpool>,
        dead_letters: Arc<dyn DeadLetters>,
        router: Arc<Router>,
        gateway: Arc<dyn AttioGateway>,
        status: Arc<DeliveryStatus>,
        sampler: Arc<Sampler>,
        config: ConfigView,
        attio_base_url: String,
        write_limit: u32,
        access: Access,
    ) -> Self {
        Console(Arc::new(ConsoleInner {
            trace,
            spool,
            dead_letters,
            router,
            gateway,
            status,
            sampler,
            config,
            attio_base_url,
            write_limit,
            access,
            schema: tokio::sync::Mutex::new(None),
        }))
    }
}

/// The console's pages and API.
pub fn router(console: Console) -> HttpRouter {
    let access = console.0.access.clone();
    let api = api::router(console.clone()).layer(axum::middleware::from_fn_with_state(
        access.clone(),
        super::admin::require_admin,
    ));
    let pages = pages::router(console.clone()).layer(axum::middleware::from_fn_with_state(access, require_page));
    pages::open_router(console).merge(pages).merge(api)
}

/// Like the API's guard, but a refused page is the login page (or says why not).
async fn require_page(State(access): State<Access>, request: Request, next: Next) -> Response {
    match access.check(&request) {
        Verdict::Allowed => next.run(request).await,
        verdict => pages::refused(verdict, access.token_configured()),
    }
}
