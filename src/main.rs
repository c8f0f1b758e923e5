use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ringside::cli::Cli::parse();
    match ringside::run(cli) {
        Ok(code) => code,
        Err(err) if ringside::error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // Whatever built it, the message reaches the terminal bounded and
            // without control bytes (it may quote a hostile file or server).
            let text = format!("{err:#}");
            let text = ringside::input::printable_message(&text, ringside::input::ERROR_MAX_CHARS);
            eprintln!("error: {text}");
            ExitCode::from(ringside::error::exit_code(&err))
        }
    }
}
