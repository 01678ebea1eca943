use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use loadgen::cli::Cli;

/// Exit status when some requests failed and `--allow-errors` was not given.
const EXIT_REQUESTS_FAILED: u8 = 1;
/// Exit status when the run could not start (bad arguments, client setup).
const EXIT_SETUP: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(report) => {
            if cli.json {
                println!("{}", report.to_json());
            } else {
                print!("{report}");
            }
            if report.has_failures() && !cli.allow_errors {
                eprintln!(
                    "error: {} of {} requests failed (pass --allow-errors to exit 0 anyway)",
                    report.requests_failed, report.requests_sent
                );
                ExitCode::from(EXIT_REQUESTS_FAILED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_SETUP)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<loadgen::Report> {
    let config = cli.raw_config().validate()?;
    let threads = cli.threads()?;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .context("could not start the async runtime")?;
    Ok(runtime.block_on(loadgen::run(&config))?)
}
