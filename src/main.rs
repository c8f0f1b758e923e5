use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ringside::cli::Cli::parse();
    match ringside::run(cli) {
        Ok(code) => code,
        Err(err) if ringside::error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(ringside::error::exit_code(&err))
        }
    }
}
