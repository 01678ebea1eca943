//! `skip_unchanged`: a write whose records already hold what it sends is left out, the
//! event acknowledged and traced as skipped; a failed write forgets what was remembered.

use std::collections::HashMap;
use std::time::Duration;

use domain::ports::{RecordRef, TraceState, WriteFingerprints, WrittenState};

use super::*;

/// Write fingerprints in memory.
#[derive(Default)]
struct MemFingerprints {
    states: Mutex<HashMap<RecordRef, WrittenState>>,
}

impl MemFingerprints {
    fn len(&self) -> usize {
        self.states.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[async_trait]
impl WriteFingerprints for MemFingerprints {
    async fn written(&self, records: Vec<RecordRef>) -> Result<Vec<Option<WrittenState>>, SpoolError> {
        let states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        Ok(records.iter().map(|r| states.get(r).cloned()).collect())
    }

    async fn remember(&self, written: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        self.states.lock().unwrap_or_else(|p| p.into_inner()).extend(written);
        Ok(())
    }

    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        for r in records {
            states.remove(&r);
        }
        Ok(())
    }
}

fn skipping() -> DeliveryConfig {
    DeliveryConfig {
        skip_unchanged: true,
        ..config()
    }
}

async fn repeated_event_is_skipped(batch_size: Option<usize>) {
    let store = Arc::new(MemFingerprints::default());
    let mut h = Harness::start_with(
        skipping(),
        vec![assert_people(batch_size)],
        FakeGateway::accepting(),
        Some(store.clone()),
    );
    let first = h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 1).await;
    assert_eq!(h.gateway.calls().len(), 1);
    assert_eq!(store.len(), 1, "the record's fingerprint is remembered");

    let again = h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 2).await;
    assert_eq!(h.gateway.calls().len(), 1, "the unchanged write is not sent");

    let changed = h.append(&[track("ada@x.io", "s2")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 3).await;
    assert_eq!(h.delivered_seqs(), seqs(&["s1", "s2"]), "a changed value is written");
    h.stop().await;

    let state = |id: i64| h.trace.get(id).map(|t| (t.state, t.reason.unwrap_or_default()));
    assert!(matches!(state(first[0]), Some((TraceState::Delivered, _))));
    match state(again[0]) {
        Some((TraceState::Skipped, reason)) => assert!(reason.contains("unchanged"), "{reason}"),
        other => panic!("the repeated event is traced as skipped, not {other:?}"),
    }
    assert!(matches!(state(changed[0]), Some((TraceState::Delivered, _))));
}

#[tokio::test(start_paused = true)]
async fn a_repeated_single_mode_write_is_skipped_and_traced() {
    repeated_event_is_skipped(None).await;
}

#[tokio::test(start_paused = true)]
async fn a_repeated_batch_member_is_left_out_and_traced() {
    repeated_event_is_skipped(Some(10)).await;
}

#[tokio::test(start_paused = true)]
async fn with_skip_unchanged_off_every_write_is_sent() {
    let store = Arc::new(MemFingerprints::default());
    let mut h = Harness::start_with(
        config(),
        vec![assert_people(None)],
        FakeGateway::accepting(),
        Some(store.clone()),
    );
    h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 1).await;
    h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 2).await;
    assert_eq!(h.gateway.calls().len(), 2);
    assert_eq!(store.len(), 0, "nothing is read or remembered");
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_refused_write_forgets_the_record() {
    let store = Arc::new(MemFingerprints::default());
    // Attio refuses (400) the write of the event with seq "bad".
    let gateway = FakeGateway::new(|seqs, _| {
        if seqs.iter().any(|s| s == "bad") {
            Err(status(400, None))
        } else {
            Ok(())
        }
    });
    let mut h = Harness::start_with(skipping(), vec![assert_people(None)], gateway, Some(store.clone()));
    h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 1).await;
    assert_eq!(store.len(), 1);
    h.append(&[track("ada@x.io", "bad")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 2).await;
    assert_eq!(store.len(), 0, "after a refusal what Attio holds is not known");
    // So the same values as the first write are sent again.
    h.append(&[track("ada@x.io", "s1")]).await;
    h.until(Duration::from_secs(5), |h| h.spool.acked().len() == 3).await;
    assert_eq!(h.gateway.calls().iter().filter(|c| c.seqs == seqs(&["s1"])).count(), 2);
    h.stop().await;
}
