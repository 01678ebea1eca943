//! The Prometheus recorder behind `/metrics`: latencies are histograms with buckets that
//! fit each (so they aggregate across instances), and `segment_attio_build_info` says which
//! version runs. The metric list and what each means is in `docs/metrics.md`.

use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Gauge, always 1, label `version`: the running build.
pub const BUILD_INFO: &str = "segment_attio_build_info";
/// Gauge, always 1, labels `instance`, `listen` and `spool`: which of several instances
/// this is, so that their series can be told apart and joined.
pub const INSTANCE_INFO: &str = "segment_attio_instance_info";

/// Histogram: seconds from an ingestion request's start to its answer (the spool's
/// durable write included).
pub const INGEST_REQUEST_SECONDS: &str = segment_adapter::ingest::metrics::REQUEST_SECONDS;
/// Histogram: seconds of one HTTP request to Attio.
pub const ATTIO_REQUEST_SECONDS: &str = "segment_attio_attio_request_seconds";
/// Histogram: seconds from an event's receipt to its delivery (retries included).
pub const DELIVERY_LATENCY_SECONDS: &str = "segment_attio_delivery_latency_seconds";

/// Ingestion answers in about a millisecond (an fsync'd SQLite write); seconds mean trouble.
pub const INGEST_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// An Attio request takes tens to hundreds of milliseconds; the transport gives up at 30 s.
pub const ATTIO_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// End to end: a batch flush (about a second) when all is well, up to the four hours an
/// event is retried before it is dead-lettered.
pub const DELIVERY_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3_600.0, 14_400.0,
];

/// The histograms and their buckets.
pub const HISTOGRAMS: [(&str, &[f64]); 3] = [
    (INGEST_REQUEST_SECONDS, INGEST_BUCKETS),
    (ATTIO_REQUEST_SECONDS, ATTIO_BUCKETS),
    (DELIVERY_LATENCY_SECONDS, DELIVERY_BUCKETS),
];

/// How often histogram samples are folded into their buckets between scrapes.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The exporter's builder with every histogram's buckets.
pub fn builder() -> Result<PrometheusBuilder, BuildError> {
    HISTOGRAMS
        .iter()
        .try_fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
            builder.set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets)
        })
}

/// Records `segment_attio_build_info{version}` in the current recorder.
pub fn record_build_info() {
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Records `segment_attio_instance_info{instance, listen, spool}` in the current recorder.
pub fn record_instance_info(instance: &str, listen: &str, spool: &'static str) {
    metrics::gauge!(
        INSTANCE_INFO,
        "instance" => instance.to_owned(),
        "listen" => listen.to_owned(),
        "spool" => spool
    )
    .set(1.0);
}

/// This instance's id: host name and process id (unique among the instances running at
/// once on one database).
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Installs the recorder globally and records the build info. The caller renders
/// `/metrics` with the handle and runs [`upkeep`] beside it.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = builder()?.install_recorder()?;
    record_build_info();
    Ok(handle)
}

/// Folds histogram samples into their buckets every [`UPKEEP_INTERVAL`], so memory stays
/// bounded however rarely `/metrics` is scraped. Runs until the runtime stops.
pub async fn upkeep(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(record: impl FnOnce()) -> String {
        let recorder = builder().expect("valid buckets").build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, record);
        handle.render()
    }

    #[test]
    fn latencies_are_histograms_with_their_own_buckets() {
        let text = rendered(|| {
            for (name, _) in HISTOGRAMS {
                metrics::histogram!(name).record(0.003);
            }
        });
        for (name, buckets) in HISTOGRAMS {
            assert!(text.contains(&format!("# TYPE {name} histogram")), "{name}:\n{text}");
            for le in buckets {
                assert!(
                    text.contains(&format!("{name}_bucket{{le=\"{le}\"}}")),
                    "{name} has no bucket {le}:\n{text}"
                );
            }
            assert!(text.contains(&format!("{name}_bucket{{le=\"+Inf\"}} 1")), "{text}");
            assert!(text.contains(&format!("{name}_count 1")), "{text}");
        }
    }

    #[test]
    fn a_sample_lands_in_every_bucket_at_or_above_it() {
        let text = rendered(|| metrics::histogram!(INGEST_REQUEST_SECONDS).record(0.003));
        let count = |le: &str| {
            let prefix = format!("{INGEST_REQUEST_SECONDS}_bucket{{le=\"{le}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .unwrap_or_else(|| panic!("no bucket {le}:\n{text}"))
                .to_owned()
        };
        assert_eq!(count("0.0025"), "0");
        assert_eq!(count("0.005"), "1");
        assert_eq!(count("10"), "1");
    }

    #[test]
    fn buckets_increase() {
        for (name, buckets) in HISTOGRAMS {
            assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{name}: {buckets:?}");
        }
    }

    #[test]
    fn instance_info_names_the_instance_its_address_and_spool() {
        let text = rendered(|| record_instance_info("host-42", "127.0.0.1:8080", "postgres"));
        let line = format!("{INSTANCE_INFO}{{instance=\"host-42\",listen=\"127.0.0.1:8080\",spool=\"postgres\"}} 1");
        assert!(text.contains(&line), "{text}");
    }

    #[test]
    fn the_instance_id_carries_the_process_id() {
        assert!(instance_id().ends_with(&format!("-{}", std::process::id())));
    }

    #[test]
    fn build_info_carries_the_version() {
        let text = rendered(record_build_info);
        let line = format!("{BUILD_INFO}{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&line), "{text}");
        assert!(text.contains(&format!("# TYPE {BUILD_INFO} gauge")), "{text}");
    }
}
