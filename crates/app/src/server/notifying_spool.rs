//! A spool decorator that wakes the delivery loop when events were appended.

use std::sync::Arc;

use async_trait::async_trait;
use domain::ports::{
    Appended, DeadLetter, EventSpool, IdentifiedEvent, NewEvent, SpoolError, SpoolStats, SpooledEvent,
};
use tokio::sync::Notify;

pub struct NotifyingSpool {
    pub inner: Arc<dyn EventSpool>,
    pub notify: Arc<Notify>,
}

#[async_trait]
impl EventSpool for NotifyingSpool {
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<i64>, SpoolError> {
        let ids = self.inner.append(events).await?;
        self.notify.notify_one();
        Ok(ids)
    }

    async fn append_once(&self, events: Vec<IdentifiedEvent>) -> Result<Vec<Appended>, SpoolError> {
        let outcomes = self.inner.append_once(events).await?;
        if outcomes.iter().any(|outcome| matches!(outcome, Appended::Stored(_))) {
            self.notify.notify_one();
        }
        Ok(outcomes)
    }

    async fn read_after(&self, after_id: i64, limit: usize) -> Result<Vec<SpooledEvent>, SpoolError> {
        self.inner.read_after(after_id, limit).await
    }

    async fn ack(&self, ids: Vec<i64>) -> Result<(), SpoolError> {
        self.inner.ack(ids).await
    }

    async fn dead_letter(&self, letters: Vec<DeadLetter>, remove_events: Vec<i64>) -> Result<(), SpoolError> {
        self.inner.dead_letter(letters, remove_events).await
    }

    async fn stats(&self) -> Result<SpoolStats, SpoolError> {
        self.inner.stats().await
    }

    async fn check_writable(&self) -> Result<(), SpoolError> {
        self.inner.check_writable().await
    }

    async fn close(&self) -> Result<(), SpoolError> {
        self.inner.close().await
    }
}
