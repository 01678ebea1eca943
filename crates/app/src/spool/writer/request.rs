//! What callers ask of the writer, and how the answers wait for the commit.

use domain::ports::{Appended, DeadLetter, DeadLetterSelection, IdentifiedEvent, NewEvent, SpoolError};
use tokio::sync::oneshot;

pub(crate) type Answer<T> = oneshot::Sender<Result<T, SpoolError>>;

/// A change to the spool, applied by the writer inside a group transaction, with the
/// channel its caller waits on.
#[derive(Debug)]
pub(crate) enum Request {
    Append {
        events: Vec<NewEvent>,
        answer: Answer<Vec<i64>>,
    },
    AppendOnce {
        events: Vec<IdentifiedEvent>,
        answer: Answer<Vec<Appended>>,
    },
    Ack {
        ids: Vec<i64>,
        answer: Answer<()>,
    },
    DeadLetter {
        letters: Vec<DeadLetter>,
        remove_events: Vec<i64>,
        answer: Answer<()>,
    },
    Replay {
        selection: DeadLetterSelection,
        answer: Answer<u64>,
    },
    Purge {
        selection: DeadLetterSelection,
        answer: Answer<u64>,
    },
    Trace {
        traces: Vec<crate::spool::trace::EncodedTrace>,
        answer: Answer<()>,
    },
    RememberFingerprints {
        remember: crate::spool::fingerprints::Remember,
        answer: Answer<()>,
    },
    ForgetFingerprints {
        records: Vec<domain::ports::RecordRef>,
        answer: Answer<()>,
    },
}

impl Request {
    /// Whether the request adds events (what a write failure is proven fixed by).
    /// Whether the request's commit must reach the disk before it is answered (at the
    /// configured `synchronous`): it stores events (their acceptance is answered after
    /// it) or drops dead letters (an operator's purge must not come back).
    pub(crate) fn needs_sync(&self) -> bool {
        self.stores_events() || matches!(self, Request::Purge { .. })
    }

    pub(crate) fn stores_events(&self) -> bool {
        matches!(
            self,
            Request::Append { .. } | Request::AppendOnce { .. } | Request::Replay { .. }
        )
    }
}

/// A message to the writer thread.
#[derive(Debug)]
pub(crate) enum Command {
    Write(Request),
    /// Apply what is queued, checkpoint, answer, and stop.
    Close(oneshot::Sender<()>),
}

/// An operation's result held until its transaction is settled: sent as is when the
/// transaction commits, replaced by the commit's error when it does not.
pub(crate) struct Settle(Box<dyn SendAnswer>);

/// Sends a held result, or the commit's error instead.
trait SendAnswer: FnOnce(Option<&SpoolError>) + Send {}

impl<F: FnOnce(Option<&SpoolError>) + Send> SendAnswer for F {}

impl Settle {
    pub(crate) fn new<T: Send + 'static>(answer: Answer<T>, result: Result<T, SpoolError>) -> Self {
        Settle(Box::new(move |commit_failure| {
            let result = match commit_failure {
                Some(error) => Err(error.clone()),
                None => result,
            };
            // A caller that stopped waiting (its request was cancelled) is not an error.
            let _ = answer.send(result);
        }))
    }

    pub(crate) fn finish(self, commit_failure: Option<&SpoolError>) {
        (self.0)(commit_failure)
    }
}
