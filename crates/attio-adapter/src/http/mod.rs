//! The production Attio transport: [`HttpAttioGateway`], an
//! [`AttioGateway`](domain::ports::AttioGateway) over reqwest.
//!
//! The outbound stack, in order: build the request ([`gateway`]) → wait for a slot of the
//! token's rate limiter ([`rate_limit`]) → send with a timeout ([`send`]) → classify the
//! reply ([`classify`]). Around it: schema-aware validation ([`validate`], [`schema`],
//! [`value_check`]), the documented-endpoint fallback ([`fallback`]), and a [`RetryPolicy`]
//! for the delivery loop ([`retry`]).

// Every fallible function here returns the port's error type, `domain::GatewayError`, whose
// size the domain fixes; boxing it in this module alone would only add conversions.

pub mod choices;
pub mod classify;
pub mod config;
mod documented;
pub mod fallback;
pub mod gateway;
mod gateway_port;
mod labels;
pub mod rate_limit;
pub mod rate_limit_contract;
pub mod retry;
pub mod schema;
pub mod send;
pub mod validate;
pub mod value_check;

mod workspace;

#[cfg(test)]
mod tests;

pub use config::{AttioHttpConfig, HttpSetupError};
pub use gateway::{GatewayStats, HttpAttioGateway, Identity, USER_AGENT_VALUE};
pub use rate_limit::{
    limit_key, InProcessRateLimiters, RateLimitKey, RateLimitStats, RateLimiter, RateLimiters, RequestClass,
    TokenLimiter,
};
pub use retry::RetryPolicy;
pub use schema::ObjectSchema;
pub use send::{HttpSend, RawRequest, RawResponse, ReqwestSend, TransportError};
