//! Credential state per named destination (`[[destinations]]`): a destination whose token
//! Attio refuses is paused alone, re-checked on its own, and resumed when its credentials
//! work again, while the others keep delivering. The default destination (`[attio]`) keeps
//! the engine's own pause and the service's credential status.

use std::collections::HashMap;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Engine;

/// A paused named destination.
#[derive(Debug)]
pub(super) struct PausedDestination {
    /// A subscription of the destination, whose gateway checks the credentials.
    subscription: usize,
    next_check: Instant,
    check: Option<JoinHandle<bool>>,
}

pub(super) type PausedDestinations = HashMap<String, PausedDestination>;

impl Engine {
    /// The named destination of subscription `sub` (`None`: the default, also when it is
    /// named `"default"`).
    pub(super) fn destination_of(&self, sub: usize) -> Option<&str> {
        self.router
            .subscriptions
            .get(sub)
            .and_then(|s| s.destination.as_deref())
            .filter(|d| *d != crate::config::DEFAULT_DESTINATION)
    }

    /// Whether subscription `sub`'s destination is paused for its credentials.
    pub(super) fn destination_paused(&self, sub: usize) -> bool {
        match self.destination_of(sub) {
            None => self.paused_until_credentials,
            Some(d) => self.paused_destinations.contains_key(d),
        }
    }

    /// Pauses the named destination of `sub` until its credentials work; `false` when the
    /// subscription delivers to the default destination (the caller pauses that).
    pub(super) fn pause_destination_of(&mut self, sub: usize) -> bool {
        let Some(name) = self.destination_of(sub).map(str::to_owned) else {
            return false;
        };
        let next_check = Instant::now() + self.config.credential_recheck;
        self.paused_destinations.entry(name).or_insert(PausedDestination {
            subscription: sub,
            next_check,
            check: None,
        });
        true
    }

    /// Starts due credential checks of paused destinations and resumes those that pass.
    pub(super) async fn recheck_destinations(&mut self) {
        let now = Instant::now();
        let mut resumed = Vec::new();
        for (name, p) in &mut self.paused_destinations {
            if p.check.is_none() && now >= p.next_check {
                let gw = self
                    .subscription_gateways
                    .get(p.subscription)
                    .cloned()
                    .unwrap_or_else(|| self.gateway.clone());
                p.check = Some(tokio::spawn(async move { gw.check_credentials().await.is_ok() }));
                p.next_check = now + self.config.credential_recheck;
            }
            if p.check.as_ref().is_some_and(JoinHandle::is_finished) {
                if let Some(h) = p.check.take() {
                    if h.await.unwrap_or(false) {
                        resumed.push(name.clone());
                    }
                }
            }
        }
        for name in resumed {
            tracing::info!(destination = %name, "Attio credentials of the destination work again; resuming its delivery");
            self.paused_destinations.remove(&name);
            let lanes: Vec<_> = self
                .lanes
                .iter()
                .filter(|(id, l)| !l.busy && !l.jobs.is_empty() && self.destination_of(id.0) == Some(name.as_str()))
                .map(|(id, _)| id.clone())
                .collect();
            self.ready.extend(lanes);
        }
    }

    /// The earliest credential re-check of a paused destination.
    pub(super) fn next_destination_check(&self) -> Option<Instant> {
        self.paused_destinations.values().map(|p| p.next_check).min()
    }
}
