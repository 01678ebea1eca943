//! `segment-attio simulator`: the Attio simulator on its own.

use app::cli::SimulatorArgs;
use attio_simulator::{Simulator, SimulatorConfig};

pub async fn run(args: SimulatorArgs) -> anyhow::Result<()> {
    let config = SimulatorConfig {
        listen: args.listen,
        tokens: args.tokens,
        write_rate: args.write_rate,
        read_rate: args.read_rate,
        schema_file: args.schema,
        ..SimulatorConfig::default()
    };
    let sim = Simulator::start(config).await?;
    tracing::info!(url = %sim.base_url(), "Attio simulator listening (stats at /_simulator/stats)");
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    Ok(())
}
