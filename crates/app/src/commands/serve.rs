//! `segment-attio serve`: ingestion, spool and delivery in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::config::ValidConfig;
use app::delivery::{self, DeliveryConfig, DeliveryDeps, DeliveryStatus};
use app::routing::Router;
use app::server::ops::{self, OpsState};
use app::server::NotifyingSpool;
use app::spool::{SqliteJournal, SqliteSpool};
use axum::extract::Path;
use axum::routing::get;
use axum::Json;
use domain::ports::{AttioGateway, Clock, EventSpool, SystemClock};
use segment_adapter::ingest::{self, IngestState};
use tokio::sync::{watch, Notify};

use super::attio;

pub struct ServeOptions {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

pub fn delivery_config(s: &app::config::DeliverySettings, grace: Duration) -> DeliveryConfig {
    DeliveryConfig {
        max_age: Duration::from_secs(s.max_age_secs),
        flush_interval: Duration::from_millis(s.flush_interval_ms),
        concurrency: s.concurrency.max(1),
        initial_backoff: Duration::from_millis(s.initial_backoff_ms.max(1)),
        max_backoff: Duration::from_secs(s.max_backoff_secs.max(1)),
        window: s.window.max(100),
        shutdown_grace: grace,
        ..DeliveryConfig::default()
    }
}

pub async fn run(valid: ValidConfig, opts: ServeOptions) -> anyhow::Result<()> {
    let ValidConfig {
        mut settings,
        subscriptions,
        integrations,
        using_presets,
    } = valid;
    if settings.attio.token.is_none() {
        tracing::info!(
            "no Attio token configured: delivering to the built-in Attio simulator (its records are at /_simulator/records/{{object}}); set SEGMENT_ATTIO__ATTIO__TOKEN to deliver to a real workspace"
        );
    } else {
        tracing::info!(base_url = %settings.attio.base_url, "delivering to Attio");
    }
    let target = attio::connect(&settings.attio).await?;
    if using_presets {
        tracing::info!(
            "no subscriptions configured: using the presets (identify -> identifyUser, group -> groupWorkspace)"
        );
    }
    for s in &subscriptions {
        tracing::info!(subscription = %s.name, action = %s.action, subscribe = ?s.subscribe_text(), batching = s.batching.enabled, "subscription");
    }
    if let Some(dir) = &opts.data_dir {
        settings.spool.path = dir.join("spool.sqlite");
    }
    let listen = opts.listen.unwrap_or(settings.server.listen);
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);

    let spool_config = settings.spool.clone();
    let spool = tokio::task::spawn_blocking(move || SqliteSpool::open(spool_config))
        .await?
        .with_context(|| format!("opening the spool at {}", settings.spool.path.display()))?;
    let journal_config = settings.spool.clone();
    let journal = tokio::task::spawn_blocking(move || SqliteJournal::open(&journal_config))
        .await?
        .context("opening the delivery journal in the spool")?;
    let spool = Arc::new(spool);
    let notify = Arc::new(Notify::new());
    let spool_port: Arc<dyn EventSpool> = Arc::new(NotifyingSpool {
        inner: spool.clone(),
        notify: notify.clone(),
    });
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let status = Arc::new(DeliveryStatus::default());
    let gateway: Arc<dyn AttioGateway> = target.gateway.clone();

    // Check the credentials once at start; delivery keeps the state up to date after that.
    {
        let (gateway, status) = (gateway.clone(), status.clone());
        tokio::spawn(async move {
            use app::delivery::CredentialState;
            match gateway.check_credentials().await {
                Ok(()) => status.set_credentials(CredentialState::Valid),
                Err(e) if matches!(e.status(), Some(401 | 403)) => {
                    tracing::error!(error = %e, "Attio refused the credentials");
                    status.set_credentials(CredentialState::Invalid(e.to_string()));
                }
                Err(e) => tracing::warn!(error = %e, "could not check the Attio credentials"),
            }
        });
    }

    // Each named destination has its own gateway (rate limiter, schema cache).
    let mut named: std::collections::HashMap<String, Arc<dyn AttioGateway>> = std::collections::HashMap::new();
    for d in &settings.destinations {
        named.insert(d.name.clone(), attio::connect_destination(d, &settings.attio)?);
    }
    let subscription_gateways: Vec<Arc<dyn AttioGateway>> = subscriptions
        .iter()
        .map(|s| {
            s.destination
                .as_ref()
                .and_then(|d| named.get(d).cloned())
                .unwrap_or_else(|| gateway.clone())
        })
        .collect();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let router = Arc::new(Router {
        integrations,
        subscriptions,
    });
    let deps = DeliveryDeps {
        spool: spool.clone(),
        gateway,
        clock: clock.clone(),
        router,
        status: status.clone(),
        notify,
        journal: Some(Arc::new(journal)),
        subscription_gateways,
    };
    let delivery = delivery::spawn(delivery_config(&settings.delivery, grace), deps, shutdown_rx);

    let draining = Arc::new(AtomicBool::new(false));
    let ingest_state =
        IngestState::new(spool_port.clone(), clock.clone(), settings.ingest.clone()).with_draining(draining.clone());
    let ops_state = OpsState {
        spool: spool_port,
        status,
        clock,
        metrics: opts.metrics,
        attio_target: target.describe(),
    };
    let mut app = ingest::router(ingest_state.clone()).merge(ops::router(ops_state));
    if let Some(sim) = &target.simulator {
        let sim = sim.view();
        app = app.route(
            "/_simulator/records/{object}",
            get(move |Path(object): Path<String>| {
                let sim = sim.clone();
                async move { Json(sim.records(&object)) }
            }),
        );
    }

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let state_for_signal = ingest_state.clone();
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: refusing new events, finishing requests in flight");
            state_for_signal.start_draining();
        })
        .await?;

    let _ = shutdown_tx.send(true);
    if tokio::time::timeout(grace + Duration::from_secs(2), delivery)
        .await
        .is_err()
    {
        tracing::warn!("delivery did not stop within the grace period");
    }
    spool.close().await;
    if let Some(sim) = target.simulator {
        sim.shutdown().await;
    }
    tracing::info!("stopped; undelivered events stay in the spool");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
