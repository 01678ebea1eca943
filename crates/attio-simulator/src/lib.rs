//! A faithful Attio simulator: a real HTTP server (hyper) holding an Attio workspace in
//! memory, for tests, demos and trying mappings offline.
//!
//! It serves the endpoints segment-attio and Segment's destination use
//! (`/v2/self`, `/v1/token`, `/v2/workspace_members`, objects, attributes, records assert/create/query/get/
//! update/delete, the Segment `/records/simple` assert and `/v2/batch/records`), with
//! Attio's error bodies, rate limits (429 with an HTTP-date `Retry-After`) and
//! injectable faults. `/_simulator/stats`, `/_simulator/records/{object}` and
//! `POST /_simulator/faults` let a test in another process inspect and steer it.
//!
//! Choices where Attio's behaviour is undocumented:
//! - all five standard objects are active unless listed in `inactive_objects`;
//! - on `/records/simple` and in batches, a reference to a person by email creates the
//!   person if missing ([`SimulatorConfig::create_missing_people`]); other missing
//!   targets fail with `value_not_found`; creating a person does not create a company;
//! - an assert matching several records answers `multiple_match_results`;
//! - an unknown attribute in `values` answers `400 value_not_found`;
//! - batch assertions are applied in arrival order (`received_at` is not used for ordering);
//! - `/v1/token` answers like `/v2/self`;
//! - on `/records/simple` a bare UUID names a record of the single target object (as
//!   Segment sends `company: <record_id>`), except for users and workspaces targets, where
//!   a string is always a `user_id`/`workspace_id`; the documented endpoint refuses a
//!   bare UUID for companies and people targets (it reads strings as domains/emails);
//! - the rate limiter's `Retry-After` is the HTTP date of the next whole second;
//! - phone numbers are checked by `domain::value` (E.164 and its numbering-plan table),
//!   and a location string is split into its parts best-effort by `domain::value`.
//!
//! The shapes of written values are checked by [`domain::value::parse_write`]; the
//! simulator adds the checks that need the workspace (writable attributes, arrays on the
//! documented endpoint, options, statuses, members, targets). Custom objects and
//! attributes come from a TOML or JSON file whose format is documented in
//! `schema/file.rs` ([`SchemaFile`]).

mod api_error;
mod batch;
mod clock;
mod config;
mod engine;
mod handle;
mod http;
mod rate_limit;
mod schema;
mod server;
mod stats;
mod store;
mod values;

pub use api_error::ApiError;
pub use config::{Burst429, Faults, SimulatorConfig, SimulatorError};
pub use handle::{SimulatorHandle, SimulatorView};
pub use schema::{load_schema_file, SchemaError, SchemaFile, SchemaFileError};
pub use stats::{BatchStats, RequestCount, SimulatorStats};

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Binds `config.listen` and serves until [`SimulatorHandle::shutdown`].
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, SimulatorError> {
        server::start(config).await
    }
}

#[cfg(test)]
mod tests;
