//! The `segment-attio` binary.

mod commands;

use std::process::ExitCode;

use anyhow::Context;
use app::cli::{Cli, Command};
use app::config::{self, LogSettings, ValidConfig};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Events are parsed and mapped into many small short-lived allocations; mimalloc serves
/// them markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging(log: &LogSettings) {
    let filter = EnvFilter::try_from_env("SEGMENT_ATTIO_LOG").unwrap_or_else(|_| EnvFilter::new(&log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load(cli: &Cli) -> anyhow::Result<ValidConfig> {
    let file = cli.config.as_deref();
    let settings = config::load(file)?;
    config::validate(settings, file).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        anyhow::anyhow!("the configuration is not valid:\n{}", list.join("\n"))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let valid = || load(&cli);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    match &cli.command {
        Command::Simulator(args) => {
            let args = args.clone();
            init_logging(&LogSettings::default());
            runtime.block_on(commands::simulator::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig => {
            let valid = valid()?;
            println!(
                "configuration is valid: {} subscription(s){}; attio: {}",
                valid.subscriptions.len(),
                if valid.using_presets { " (the presets)" } else { "" },
                if valid.settings.attio.token.is_some() {
                    "workspace token set"
                } else {
                    "built-in simulator"
                }
            );
            for d in &valid.settings.destinations {
                println!("  destination {}: {}", d.name, d.base_url);
            }
            for s in &valid.subscriptions {
                println!(
                    "  - {} -> {}{} ({})",
                    s.name,
                    s.action,
                    s.destination.as_deref().map(|d| format!(" @ {d}")).unwrap_or_default(),
                    s.subscribe_text().unwrap_or("every event")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::TestEvent(args) => {
            let valid = valid()?;
            commands::test_event::run(valid, args.clone())
        }
        Command::Serve(args) => {
            let valid = valid()?;
            init_logging(&valid.settings.log);
            let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .ok();
            let opts = commands::serve::ServeOptions {
                listen: args.listen,
                data_dir: args.data_dir.clone(),
                metrics,
            };
            runtime.block_on(commands::serve::run(valid, opts))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Objects(out) => {
            let valid = valid()?;
            runtime.block_on(commands::attio_info::objects(&valid.settings.attio, out.json))
        }
        Command::Attributes { object, output } => {
            let valid = valid()?;
            runtime.block_on(commands::attio_info::attributes(
                &valid.settings.attio,
                object,
                output.json,
            ))
        }
        Command::CheckAuth(out) => {
            let valid = valid()?;
            runtime.block_on(commands::attio_info::check_auth(
                &valid.settings.attio,
                &valid.settings.destinations,
                out.json,
            ))
        }
        Command::DeadLetters(cmd) => {
            let cmd = cmd.clone();
            let valid = valid()?;
            runtime.block_on(commands::dead_letters::run(valid.settings.spool, cmd))
        }
        Command::Skipped { limit, output } => {
            let valid = valid()?;
            runtime.block_on(commands::skipped::run(valid.settings.spool, *limit, output.json))
        }
        Command::Import(args) => {
            let valid = valid()?;
            let summary = runtime.block_on(commands::import::run(valid.settings.spool, &args.file, args.chunk))?;
            println!(
                "{} line(s) read, {} event(s) imported, {} invalid",
                summary.lines,
                summary.imported,
                summary.invalid.len()
            );
            for (line, reason) in summary.invalid.iter().take(20) {
                println!("  line {line}: {reason}");
            }
            if summary.invalid.len() > 20 {
                println!("  ... and {} more", summary.invalid.len() - 20);
            }
            println!("`segment-attio serve` delivers the imported events.");
            Ok(if summary.invalid.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}
