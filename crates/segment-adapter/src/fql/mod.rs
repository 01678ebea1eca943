//! FQL subscriptions as the reference evaluates them.
