//! `ringside load`: flags, validation into a [`LoadConfig`](super::LoadConfig), output.

use std::process::ExitCode;

use clap::Args;

/// Flags of `ringside load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Target URL(s), requested in rotation.
    pub urls: Vec<String>,
    /// Drive WebSocket chat clients instead of HTTP requests (see spec/ws-chat.md).
    #[arg(long)]
    pub ws: bool,
    #[command(flatten)]
    pub ws_flags: crate::load::ws::cli::WsFlags,
}

/// Runs `ringside load`.
pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("`ringside load` is not built yet")
}
