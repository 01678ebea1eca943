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
    // Colour only on a terminal: a file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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
    for warning in &settings.deprecations {
        eprintln!("warning: {warning}");
    }
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
        Command::CheckConfig(args) => {
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
            if args.offline {
                return Ok(ExitCode::SUCCESS);
            }
            let fits = runtime.block_on(commands::schema::check_config(&valid))?;
            Ok(if fits { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::TestEvent(args) => {
            let valid = valid()?;
            commands::test_event::run(valid, args.clone())
        }
        Command::Serve(args) => {
            let mut valid = valid()?;
            valid.settings.attio.allow_schema_errors |= args.allow_schema_errors;
            init_logging(&valid.settings.log);
            let metrics = match app::server::prometheus::install() {
                Ok(handle) => {
                    runtime.spawn(app::server::prometheus::upkeep(handle.clone()));
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!("metrics are disabled: {e}");
                    None
                }
            };
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
            runtime.block_on(commands::attio_info::check_auth(&valid, out.json))
        }
        Command::DeadLetters(args) => {
            let valid = valid()?;
            runtime.block_on(async {
                let spool =
                    commands::spool_path::open_existing(valid.settings.spool, args.spool.data_dir.as_deref()).await?;
                commands::dead_letters::run(spool, args.command.clone()).await
            })
        }
        Command::Events(args) => {
            let valid = valid()?;
            runtime.block_on(async {
                let spool =
                    commands::spool_path::open_existing(valid.settings.spool, args.spool.data_dir.as_deref()).await?;
                commands::events::run(spool, args.command.clone()).await
            })
        }
        Command::Skipped { limit, output, spool } => {
            let valid = valid()?;
            runtime.block_on(commands::skipped::run(
                valid.settings.spool,
                spool.data_dir.as_deref(),
                *limit,
                output.json,
            ))
        }
        Command::Import(args) => {
            let mut spool = valid()?.settings.spool;
            if let Some(dir) = &args.spool.data_dir {
                commands::spool_path::override_spool(&mut spool, dir);
            }
            let summary = runtime.block_on(commands::import::run(spool, &args.file, args.chunk))?;
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
