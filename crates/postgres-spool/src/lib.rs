//! segment-attio on PostgreSQL, shared by several instances: the Attio rate limit per
//! token ([`rate_limit`]).

pub mod rate_limit;

pub use rate_limit::{PostgresRateLimiters, RateLimitSetupError};
