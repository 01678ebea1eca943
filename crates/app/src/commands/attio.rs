//! The Attio gateway the service uses: the real workspace when a token is configured,
//! otherwise the built-in simulator, started in-process.

use std::sync::Arc;
use std::time::Duration;

use attio_adapter::http::{AttioHttpConfig, HttpAttioGateway, InProcessRateLimiters, RateLimiters};
use attio_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use secrecy::SecretString;

use crate::config::{AttioSettings, DestinationEntry};

/// The token the service uses with its built-in simulator.
const SIMULATOR_TOKEN: &str = "simulated-workspace-token";

/// A gateway and, when there is no token, the simulator behind it.
pub struct AttioTarget {
    pub gateway: Arc<HttpAttioGateway>,
    pub simulator: Option<SimulatorHandle>,
}

impl AttioTarget {
    pub fn describe(&self) -> &'static str {
        if self.simulator.is_some() {
            "simulator"
        } else {
            "attio"
        }
    }
}

/// The gateway configuration from the settings, for `base_url` and `token`.
pub fn http_config(settings: &AttioSettings, base_url: String, token: SecretString) -> AttioHttpConfig {
    let mut c = AttioHttpConfig::new(token).with_base_url(base_url);
    c.write_rate = settings.write_rate.max(1);
    c.read_rate = settings.read_rate.max(1);
    c.timeout = Duration::from_secs(settings.timeout_secs.max(1));
    c.validate_schema = settings.validate_schema;
    c
}

/// The gateway of a `[[destinations]]` entry (timeouts and schema checks as in `[attio]`),
/// paced by this process alone.
pub fn connect_destination(entry: &DestinationEntry, attio: &AttioSettings) -> anyhow::Result<Arc<HttpAttioGateway>> {
    connect_destination_with(entry, attio, InProcessRateLimiters::global())
}

/// [`connect_destination`], paced by `limiters` (shared by several instances on PostgreSQL).
pub fn connect_destination_with(
    entry: &DestinationEntry,
    attio: &AttioSettings,
    limiters: Arc<dyn RateLimiters>,
) -> anyhow::Result<Arc<HttpAttioGateway>> {
    let token = entry
        .token
        .clone()
        .ok_or_else(|| anyhow::anyhow!("destinations {:?}: token is required", entry.name))?;
    let mut config = http_config(attio, entry.base_url.clone(), token);
    config.write_rate = entry.write_rate.max(1);
    config.read_rate = entry.read_rate.max(1);
    config.destination = entry.name.clone();
    config.limiters = limiters;
    Ok(Arc::new(HttpAttioGateway::new(config)?))
}

/// Connects to the configured workspace, or starts the simulator when no token is set;
/// requests are paced by this process alone.
pub async fn connect(settings: &AttioSettings) -> anyhow::Result<AttioTarget> {
    connect_with(settings, InProcessRateLimiters::global()).await
}

/// [`connect`], with the workspace's requests paced by `limiters` (shared by several
/// instances on PostgreSQL). The built-in simulator is the process's own: paced alone.
pub async fn connect_with(settings: &AttioSettings, limiters: Arc<dyn RateLimiters>) -> anyhow::Result<AttioTarget> {
    match &settings.token {
        Some(token) => {
            let mut config = http_config(settings, settings.base_url.clone(), token.clone());
            config.limiters = limiters;
            let gateway = HttpAttioGateway::new(config)?;
            Ok(AttioTarget {
                gateway: Arc::new(gateway),
                simulator: None,
            })
        }
        None => {
            let sim = Simulator::start(SimulatorConfig {
                tokens: vec![SIMULATOR_TOKEN.to_owned()],
                ..SimulatorConfig::default()
            })
            .await?;
            let config = http_config(settings, sim.base_url(), SecretString::from(SIMULATOR_TOKEN));
            let gateway = HttpAttioGateway::new(config)?;
            Ok(AttioTarget {
                gateway: Arc::new(gateway),
                simulator: Some(sim),
            })
        }
    }
}
