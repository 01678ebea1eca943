use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use super::*;

/// What the writer was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Remember(Vec<(RecordRef, WrittenState)>),
    Forget(Vec<RecordRef>),
}

#[derive(Default)]
struct FakeSink {
    calls: Mutex<Vec<Call>>,
    failing: AtomicBool,
}

impl FingerprintSink for Arc<FakeSink> {
    async fn remember(&self, mut states: Vec<(RecordRef, WrittenState)>) -> Result<(), SpoolError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(SpoolError::Storage("disk full".into()));
        }
        states.sort_by(|a, b| a.0.matching.cmp(&b.0.matching));
        self.calls.lock().expect("calls").push(Call::Remember(states));
        Ok(())
    }

    async fn forget(&self, records: Vec<RecordRef>) -> Result<(), SpoolError> {
        self.calls.lock().expect("calls").push(Call::Forget(records));
        Ok(())
    }
}

impl FakeSink {
    fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }
}

fn record(n: u32) -> RecordRef {
    RecordRef {
        destination: "default".into(),
        object: "people".into(),
        matching: format!("email_addresses=\"p{n}@example.com\""),
    }
}

fn state(fingerprint: &str) -> WrittenState {
    let at: DateTime<Utc> = DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
    WrittenState {
        fingerprint: fingerprint.into(),
        written_at: at,
    }
}

fn buffer() -> (Arc<FakeSink>, FingerprintBuffer<Arc<FakeSink>>) {
    let sink = Arc::new(FakeSink::default());
    (sink.clone(), FingerprintBuffer::new(sink))
}

#[tokio::test(start_paused = true)]
async fn remembered_states_are_read_at_once_and_written_together_after_the_interval() {
    let (sink, buffer) = buffer();
    buffer.remember(vec![(record(1), state("a")), (record(2), state("b"))]);
    buffer.remember(vec![(record(3), state("c")), (record(1), state("a2"))]);
    assert_eq!(
        buffer.known(&[record(1), record(2), record(3), record(4)]),
        vec![
            Some(Some(state("a2"))),
            Some(Some(state("b"))),
            Some(Some(state("c"))),
            None
        ]
    );
    assert!(sink.calls().is_empty(), "nothing written before the interval");
    tokio::time::sleep(FLUSH_EVERY * 2).await;
    assert_eq!(
        sink.calls(),
        vec![Call::Remember(vec![
            (record(1), state("a2")),
            (record(2), state("b")),
            (record(3), state("c")),
        ])],
        "one write, the latest state of each record"
    );
    assert_eq!(
        buffer.known(&[record(1)]),
        vec![None],
        "written: the file answers again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_write_keeps_the_states_readable_and_is_tried_again() {
    let (sink, buffer) = buffer();
    sink.failing.store(true, Ordering::SeqCst);
    buffer.remember(vec![(record(1), state("a"))]);
    tokio::time::sleep(FLUSH_EVERY * 2).await;
    assert!(sink.calls().is_empty());
    assert_eq!(buffer.known(&[record(1)]), vec![Some(Some(state("a")))]);
    sink.failing.store(false, Ordering::SeqCst);
    tokio::time::sleep(RETRY_AFTER * 2).await;
    assert_eq!(sink.calls(), vec![Call::Remember(vec![(record(1), state("a"))])]);
    assert_eq!(buffer.known(&[record(1)]), vec![None]);
}

#[tokio::test(start_paused = true)]
async fn a_forgotten_record_is_forgotten_before_forget_returns_and_its_queued_state_never_written() {
    let (sink, buffer) = buffer();
    buffer.remember(vec![(record(1), state("a")), (record(2), state("b"))]);
    buffer.forget(vec![record(1)]).await.expect("forget");
    assert_eq!(sink.calls(), vec![Call::Forget(vec![record(1)])], "forgotten at once");
    tokio::time::sleep(FLUSH_EVERY * 2).await;
    assert_eq!(
        sink.calls(),
        vec![
            Call::Forget(vec![record(1)]),
            Call::Remember(vec![(record(2), state("b"))]),
        ],
        "the forgotten record's earlier state is not written after its forget"
    );
}

#[tokio::test(start_paused = true)]
async fn flush_writes_what_is_queued_without_waiting_for_the_interval() {
    let (sink, buffer) = buffer();
    buffer.remember(vec![(record(1), state("a"))]);
    buffer.flush().await;
    assert_eq!(sink.calls(), vec![Call::Remember(vec![(record(1), state("a"))])]);
    tokio::time::sleep(FLUSH_EVERY * 2).await;
    assert_eq!(sink.calls().len(), 1, "the scheduled flush finds nothing left");
}

#[tokio::test(start_paused = true)]
async fn what_a_read_found_is_kept_until_a_write_of_the_record_commits() {
    let (_sink, buffer) = buffer();
    let began = buffer.read_begins();
    buffer.learned(began, vec![record(1), record(2)], &[Some(state("old")), None]);
    assert_eq!(
        buffer.known(&[record(1), record(2), record(3)]),
        vec![Some(Some(state("old"))), Some(None), None]
    );
    buffer.remember(vec![(record(1), state("new"))]);
    assert_eq!(buffer.known(&[record(1)]), vec![Some(Some(state("new")))]);
    buffer.flush().await;
    assert_eq!(buffer.known(&[record(1)]), vec![None], "written: the file answers");
    assert_eq!(
        buffer.known(&[record(2)]),
        vec![Some(None)],
        "other records are still known"
    );
}

#[tokio::test(start_paused = true)]
async fn a_read_during_which_a_write_committed_is_not_kept() {
    let (_sink, buffer) = buffer();
    let began = buffer.read_begins();
    buffer.remember(vec![(record(1), state("new"))]);
    buffer.flush().await;
    buffer.learned(began, vec![record(1)], &[Some(state("old"))]);
    assert_eq!(buffer.known(&[record(1)]), vec![None]);
    let began = buffer.read_begins();
    buffer.forget(vec![record(2)]).await.expect("forget");
    buffer.learned(began, vec![record(1)], &[Some(state("old"))]);
    assert_eq!(buffer.known(&[record(1)]), vec![None]);
}

#[tokio::test(start_paused = true)]
async fn the_memory_of_reads_is_bounded() {
    let (_sink, buffer) = buffer();
    let many: Vec<RecordRef> = (0..CACHE_MAX as u32).map(record).collect();
    let states = vec![None; many.len()];
    buffer.learned(buffer.read_begins(), many, &states);
    assert_eq!(buffer.known(&[record(0)]), vec![Some(None)]);
    buffer.learned(buffer.read_begins(), vec![record(u32::MAX)], &[None]);
    assert_eq!(buffer.known(&[record(0)]), vec![None], "cleared to make room");
    assert_eq!(buffer.known(&[record(u32::MAX)]), vec![Some(None)]);
}

#[tokio::test(start_paused = true)]
async fn a_write_at_once_replaces_what_the_write_behind_held_for_its_records() {
    let (sink, buffer) = buffer();
    buffer.remember(vec![(record(1), state("a")), (record(2), state("b"))]);
    buffer
        .remember_now(vec![(record(1), state("a2"))])
        .await
        .expect("written");
    assert_eq!(sink.calls(), vec![Call::Remember(vec![(record(1), state("a2"))])]);
    assert_eq!(buffer.known(&[record(1)]), vec![None], "the file answers for it");
    tokio::time::sleep(FLUSH_EVERY * 2).await;
    assert_eq!(
        sink.calls(),
        vec![
            Call::Remember(vec![(record(1), state("a2"))]),
            Call::Remember(vec![(record(2), state("b"))]),
        ],
        "the older state of record 1 is never written after the newer"
    );
}
