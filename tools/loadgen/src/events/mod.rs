//! Realistic Segment events and the request bodies that carry them.

mod generate;
mod pool;
mod template;
mod words;

#[cfg(test)]
mod tests;

pub use generate::{Call, TIME_WIDTH};
pub use pool::{decimal_width, run_prefix, timestamp, EventPool, DEFAULT_POOL_SIZE};
pub use template::{Field, Template, TemplateError};

/// Which calls a run sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Identify,
    Group,
    Track,
    /// 30 % identify, 10 % group, 60 % track.
    Mixed,
}
