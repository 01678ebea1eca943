//! A record reference to a record that does not exist yet.
//!
//! Subscriptions are delivered independently, so a group (whose workspace lists the user)
//! can reach Attio before the identify that creates the user, although a client sent the
//! identify first (Segment's libraries send both in one batch). Attio then refuses the
//! value (which refusal that is, is the Attio adapter's
//! [`is_missing_reference`](attio_adapter::wire::error::is_missing_reference)). Such a
//! failure is retried a few times before the event is dead-lettered, which gives the other
//! subscription's delivery time to land.

use domain::Retryability;

/// What to do about a failure that was the `attempts`-th: a missing reference is
/// retried until `limit` attempts have failed; anything else keeps its classification.
pub fn retryability(classified: Retryability, missing_reference: bool, attempts: u32, limit: u32) -> Retryability {
    match classified {
        Retryability::Permanent if missing_reference && attempts < limit => Retryability::Retryable { after: None },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_reference_is_retried_until_the_limit() {
        let retried = Retryability::Retryable { after: None };
        assert_eq!(retryability(Retryability::Permanent, true, 1, 4), retried);
        assert_eq!(retryability(Retryability::Permanent, true, 3, 4), retried);
        assert_eq!(
            retryability(Retryability::Permanent, true, 4, 4),
            Retryability::Permanent
        );
        assert_eq!(
            retryability(Retryability::Permanent, false, 1, 4),
            Retryability::Permanent
        );
        assert_eq!(
            retryability(Retryability::Authentication, true, 1, 4),
            Retryability::Authentication
        );
    }
}
