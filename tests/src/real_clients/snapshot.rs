//! The records of the four objects the destination writes, as the built-in simulator of a
//! service started without an Attio token holds them.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::service::Service;

/// The simulator's records of the four objects the destination writes.
#[derive(Debug)]
pub struct Snapshot {
    pub people: Vec<Value>,
    pub users: Vec<Value>,
    pub companies: Vec<Value>,
    pub workspaces: Vec<Value>,
}

impl Snapshot {
    /// The records as they are now.
    pub async fn take(service: &Service) -> Result<Snapshot, String> {
        Ok(Snapshot {
            people: service.records("people").await?,
            users: service.records("users").await?,
            companies: service.records("companies").await?,
            workspaces: service.records("workspaces").await?,
        })
    }
}

/// Polls `check` (given a snapshot of the records) until it passes or `timeout` passes;
/// then fails with its last complaint and the service log.
pub async fn wait_for<F>(service: &Service, what: &str, timeout: Duration, check: F)
where
    F: Fn(&Snapshot) -> Result<(), String>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let complaint = match Snapshot::take(service).await {
            Ok(snapshot) => match check(&snapshot) {
                Ok(()) => return,
                Err(complaint) => complaint,
            },
            Err(e) => format!("records unavailable: {e}"),
        };
        if Instant::now() >= deadline {
            panic!(
                "{what}: not there after {timeout:?}: {complaint}\nservice log:\n{}",
                service.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
