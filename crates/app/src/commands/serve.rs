//! `segment-attio serve`: ingestion, spool and delivery in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::config::{ValidConfig, DEFAULT_DESTINATION};
use app::delivery::{self, DeliveryConfig, DeliveryDeps, DeliveryStatus};
use app::routing::Router;
use app::server::access::Access;
use app::server::admin::{self, AdminState};
use app::server::connections::{self, ConnectionLimits};
use app::server::console::{self, Console, Sampler};
use app::server::ops::{self, OpsState};
use app::server::{fd_limit, inspection, NotifyingSpool};
use app::spool::{Backend, Purpose, ServeLock, Spool};
use attio_adapter::http::{InProcessRateLimiters, RateLimiters};
use domain::ports::{AttioGateway, Clock, EventSpool, EventTrace, SystemClock};
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
        skip_unchanged: s.skip_unchanged,
        resync_after: Duration::from_secs(s.resync_after_secs.max(1)),
        coalesce: s.coalesce,
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
    if let Some(dir) = &opts.data_dir {
        super::spool_path::override_spool(&mut settings.spool, dir);
    }
    // A file size limit (RLIMIT_FSIZE) reached makes a write fail (EFBIG), which the spool
    // reports like a full disk, instead of killing the process with SIGXFSZ.
    let _file_size_signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ)).ok();
    // One `serve` per SQLite spool, held until this function returns (or the process
    // ends). Instances on one PostgreSQL spool share it through partition leases.
    let serve_lock = if settings.spool.is_postgres() {
        None
    } else {
        let lock = ServeLock::acquire(&settings.spool.path)?;
        tracing::debug!(lock = %lock.path().display(), "spool lock taken");
        Some(lock)
    };
    let target_name = if settings.attio.token.is_some() {
        "attio"
    } else {
        "simulator"
    };
    let console_config = console::config_view::build(&settings, &subscriptions, using_presets, target_name);
    if settings.attio.token.is_none() {
        tracing::info!(
            "no Attio token configured: delivering to the built-in Attio simulator (its records are at /_simulator/records/{{object}}); set SEGMENT_ATTIO__ATTIO__TOKEN to deliver to a real workspace"
        );
    } else {
        tracing::info!(base_url = %settings.attio.base_url, "delivering to Attio");
    }
    let limiters = rate_limiters(&settings.spool).await?;
    let target = attio::connect_with(&settings.attio, limiters.clone()).await?;
    if using_presets {
        tracing::info!(
            "no subscriptions configured: using the presets (identify -> identifyUser, group -> groupWorkspace)"
        );
    }
    for s in &subscriptions {
        tracing::info!(subscription = %s.name, action = %s.action, subscribe = ?s.subscribe_text(), batching = s.batching.enabled, "subscription");
    }
    let mut blocked: Vec<Option<String>> = vec![None; subscriptions.len()];
    let mut schema_problems = Vec::new();
    let mut named_gateways = Vec::new();
    for d in &settings.destinations {
        named_gateways.push((
            d.name.clone(),
            attio::connect_destination_with(d, &settings.attio, limiters.clone())?,
        ));
    }
    let mut problems = Vec::new();
    let mut unchecked = false;
    for (destination, result) in
        super::schema::check_destinations(&target.gateway, &named_gateways, &subscriptions).await
    {
        match result {
            Ok(p) => problems.extend(p),
            Err(e) => {
                unchecked = true;
                tracing::warn!(
                    %destination,
                    error = %e,
                    "could not check the subscriptions against the workspace at start; each event is still checked before it is sent"
                );
            }
        }
    }
    if problems.is_empty() {
        if !unchecked {
            tracing::info!("the subscriptions fit the workspace");
        }
    } else {
        let text = super::schema::report(&problems);
        if !settings.attio.allow_schema_errors {
            let describe = target.describe();
            if let Some(sim) = target.simulator {
                sim.shutdown().await;
            }
            anyhow::bail!(
                "the subscriptions do not fit the workspace ({describe}):\n{text}\nfix the configuration, or start with --allow-schema-errors (attio.allow_schema_errors = true) to dead-letter these subscriptions' events instead"
            );
        }
        tracing::error!("the subscriptions do not fit the workspace; their events are dead-lettered:\n{text}");
        for p in &problems {
            if let Some(i) = subscriptions.iter().position(|s| s.name == p.subscription) {
                let line = p.to_string();
                blocked[i] = Some(match blocked[i].take() {
                    Some(before) => format!("{before}; {line}"),
                    None => line,
                });
            }
            schema_problems.push(p.to_string());
        }
    }
    let listen = opts.listen.unwrap_or(settings.server.listen);
    if !listen.ip().is_loopback() && settings.ingest.write_keys.is_empty() && settings.ingest.sources.is_empty() {
        anyhow::bail!(
            "refusing to listen on {listen} without write keys: anyone who reaches it could send events. Set ingest.write_keys (SEGMENT_ATTIO__INGEST__WRITE_KEYS), or listen on a loopback address"
        );
    }
    let grace = Duration::from_secs(settings.server.shutdown_grace_secs);
    let open_files = fd_limit::raise_open_file_limit();
    let max_connections = fd_limit::connection_capacity(settings.server.max_connections, open_files);
    if max_connections < settings.server.max_connections {
        tracing::warn!(
            max_connections,
            open_files,
            "serving fewer connections than server.max_connections: the open-file limit is too low (raise LimitNOFILE / ulimit -n)"
        );
    }
    let limits = ConnectionLimits {
        max_connections,
        header_read_timeout: Duration::from_secs(settings.server.header_read_timeout_secs.max(1)),
        idle_timeout: Duration::from_secs(settings.server.idle_timeout_secs.max(1)),
        grace,
    };
    settings.ingest.trust_forwarded_headers = settings.server.trust_forwarded_headers;

    let spool = Spool::open(&settings.spool, Purpose::Serve).await?;
    let fingerprints: Option<Arc<dyn domain::ports::WriteFingerprints>> = if settings.delivery.skip_unchanged {
        let bounds = app::spool::FingerprintBounds {
            max_age: Duration::from_secs(settings.delivery.resync_after_secs.max(1)),
            max_records: settings.delivery.skip_unchanged_max_records.max(1),
        };
        Some(
            spool
                .write_fingerprints(bounds)
                .await
                .context("opening the write fingerprints in the spool")?,
        )
    } else {
        None
    };
    // Dead letters record the destination of their subscription as configured now.
    spool
        .journal
        .record_destinations(
            subscriptions
                .iter()
                .map(|s| {
                    let destination = s.destination.clone();
                    (
                        s.name.clone(),
                        destination.unwrap_or_else(|| DEFAULT_DESTINATION.to_owned()),
                    )
                })
                .collect(),
        )
        .await
        .context("recording the subscriptions' destinations in the spool")?;
    let notify = Arc::new(Notify::new());
    let spool_port: Arc<dyn EventSpool> = Arc::new(NotifyingSpool {
        inner: spool.events.clone(),
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
    let named: std::collections::HashMap<String, Arc<dyn AttioGateway>> = named_gateways
        .iter()
        .map(|(name, g)| (name.clone(), g.clone() as Arc<dyn AttioGateway>))
        .collect();
    let subscription_gateways: Vec<Arc<dyn AttioGateway>> = subscriptions
        .iter()
        .map(|s| {
            s.destination
                .as_ref()
                .and_then(|d| named.get(d).cloned())
                .unwrap_or_else(|| gateway.clone())
        })
        .collect();
    let console_gateways = subscription_gateways.clone();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let router = Arc::new(Router::new(integrations, subscriptions, blocked));
    let trace: Option<Arc<dyn EventTrace>> = spool.trace_enabled().then(|| spool.trace.clone());
    let deps = DeliveryDeps {
        trace: trace.clone(),
        spool: spool.events.clone(),
        gateway,
        clock: clock.clone(),
        router: router.clone(),
        status: status.clone(),
        notify,
        journal: Some(spool.journal.clone()),
        subscription_gateways,
        fingerprints,
    };
    let delivery = delivery::spawn(delivery_config(&settings.delivery, grace), deps, shutdown_rx);

    let draining = Arc::new(AtomicBool::new(false));
    let ingest_state =
        IngestState::new(spool_port.clone(), clock.clone(), settings.ingest.clone()).with_draining(draining.clone());
    let sampler = Arc::new(Sampler::new(opts.metrics.clone()));
    {
        let sampler = sampler.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(console::stats::SAMPLE_EVERY);
            loop {
                every.tick().await;
                sampler.sample(chrono::Utc::now());
            }
        });
    }
    let access = Access::new(settings.server.admin_token.clone());
    let console = Console::new(
        trace.clone(),
        spool_port.clone(),
        spool.dead_letters.clone(),
        router,
        target.gateway.clone(),
        console_gateways,
        status.clone(),
        sampler,
        console_config,
        target
            .simulator
            .as_ref()
            .map_or_else(|| settings.attio.base_url.clone(), |sim| sim.base_url()),
        settings.attio.write_rate,
        access.clone(),
    );
    let ops_state = OpsState {
        spool: spool_port,
        status,
        clock,
        metrics: opts.metrics,
        attio_target: target.describe(),
        schema_problems: Arc::new(schema_problems),
    };
    let ops_router = ops::router(ops_state, access.clone());
    let mut app = ingest::router(ingest_state.clone())
        .merge(ops_router.clone())
        .merge(admin::router(AdminState { trace }, access))
        .merge(console::router(console));
    if let Some(sim) = &target.simulator {
        app = app.merge(inspection::router(
            sim.view(),
            ingest_state.clone(),
            settings.server.admin_token.clone(),
        ));
    }
    let overflow = ops_router.fallback(connections::busy);

    let listener = connections::bind(listen).with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, max_connections, "listening");
    let (instance, spool_kind) = match &spool.backend {
        Backend::Postgres(p) => (p.owner().to_owned(), "postgres"),
        Backend::Sqlite(_) => (app::server::prometheus::instance_id(), "sqlite"),
    };
    app::server::prometheus::record_instance_info(&instance, &addr.to_string(), spool_kind);
    let state_for_signal = ingest_state.clone();
    let (stopping, stopped) = tokio::sync::oneshot::channel();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: refusing new events, finishing requests in flight");
        state_for_signal.start_draining();
        // Delivery stops alongside the requests in flight, within the same grace period.
        let _ = shutdown_tx.send(true);
        let _ = stopping.send(std::time::Instant::now());
    };
    let server = connections::serve(listener, app, overflow, limits, shutdown);
    server.await;
    let left = match stopped.await {
        Ok(started) => grace.saturating_sub(started.elapsed()),
        Err(_) => grace,
    };
    if tokio::time::timeout(left + Duration::from_secs(1), delivery)
        .await
        .is_err()
    {
        tracing::warn!("delivery did not stop within the grace period");
    }
    if let Err(error) = spool.close().await {
        tracing::warn!(%error, "closing the spool");
    }
    if let Some(sim) = target.simulator {
        sim.shutdown().await;
    }
    tracing::info!("stopped; undelivered events stay in the spool");
    drop(serve_lock);
    Ok(())
}

/// Where the Attio gateways get their token's rate limiter: on a PostgreSQL spool, the
/// database, so that every instance on it shares one limit per token (and a 429's pause);
/// on SQLite (one instance per spool), this process.
async fn rate_limiters(spool: &app::spool::SpoolConfig) -> anyhow::Result<Arc<dyn RateLimiters>> {
    match &spool.url {
        Some(url) => {
            let shared = postgres_spool::PostgresRateLimiters::connect(url)
                .await
                .with_context(|| format!("sharing the Attio rate limit in {}", postgres_spool::redacted_url(url)))?;
            Ok(Arc::new(shared))
        }
        None => Ok(InProcessRateLimiters::global()),
    }
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
