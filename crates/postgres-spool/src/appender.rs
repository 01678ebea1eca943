//! Group commit of appends: one task per instance takes every append request queued and
//! stores them in one transaction (one append lock, one commit, one sync of the log), then
//! answers each caller. Under load, many ingestion requests share a commit.

use deadpool_postgres::Pool;
use domain::ports::{Appended, IdentifiedEvent, SpoolError};
use tokio::sync::{mpsc, oneshot};

use crate::error::Doing;
use crate::writes;

/// Most requests stored in one transaction.
const MOST: usize = 256;

pub(crate) struct AppendRequest {
    pub(crate) events: Vec<IdentifiedEvent>,
    /// De-duplicate by message id (`append_once`).
    pub(crate) dedup: bool,
    pub(crate) answer: oneshot::Sender<Result<Vec<Appended>, SpoolError>>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) partitions: u32,
    pub(crate) max_pending: u64,
    pub(crate) window_secs: i64,
}

/// Starts the appender; it ends when every sender is dropped.
pub(crate) fn spawn(pool: Pool, limits: Limits) -> mpsc::Sender<AppendRequest> {
    let (sender, receiver) = mpsc::channel(MOST);
    tokio::spawn(run(pool, limits, receiver));
    sender
}

async fn run(pool: Pool, limits: Limits, mut receiver: mpsc::Receiver<AppendRequest>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MOST {
            match receiver.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let mut answers = Vec::with_capacity(batch.len());
        let mut wanted = Vec::with_capacity(batch.len());
        for request in batch {
            answers.push(request.answer);
            wanted.push((request.events, request.dedup));
        }
        match apply(&pool, limits, wanted).await {
            Ok(outcomes) => {
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    // A caller that gave up waiting is not an error here.
                    let _ = answer.send(outcome);
                }
            }
            Err(error) => {
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Stores the requests that fit below `max_pending` in one transaction; a request that
/// does not fit is answered `Full` alone.
async fn apply(
    pool: &Pool,
    limits: Limits,
    requests: Vec<(Vec<IdentifiedEvent>, bool)>,
) -> Result<Vec<Result<Vec<Appended>, SpoolError>>, SpoolError> {
    let mut client = pool.get().await.doing("getting a database connection")?;
    let tx = client.transaction().await.doing("starting an append")?;
    let mut pending = writes::lock_and_count(&tx).await?;
    let mut events = Vec::new();
    let mut dedup = Vec::new();
    let mut sizes = Vec::with_capacity(requests.len());
    for (request, once) in requests {
        let n = request.len() as u64;
        if pending.saturating_add(n) > limits.max_pending {
            sizes.push(Err(pending));
            continue;
        }
        pending += n;
        sizes.push(Ok(request.len()));
        dedup.extend(std::iter::repeat_n(once, request.len()));
        events.extend(request);
    }
    let stored = writes::store(&tx, &events, &dedup, limits.partitions, limits.window_secs).await?;
    // Acknowledged to the senders only once committed.
    tx.commit().await.doing("committing events")?;
    let mut stored = stored.into_iter();
    Ok(sizes
        .into_iter()
        .map(|size| match size {
            Ok(len) => Ok(stored.by_ref().take(len).collect()),
            Err(pending) => Err(SpoolError::Full { pending }),
        })
        .collect())
}
