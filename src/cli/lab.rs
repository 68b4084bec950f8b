//! `tiersim lab [SCENARIO] [--port P]`: serves the lab (`crate::lab`) on 127.0.0.1 until Ctrl-C
//! or SIGTERM, then exits 0 with nothing left listening. The first line of standard output is
//! `lab: http://127.0.0.1:PORT/`.

use super::{BadInput, input};
use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Flags of `lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// A scenario file to offer first (TOML, at most 1 MiB); the shipped scenarios follow it.
    pub scenario: Option<PathBuf>,
    /// The port to listen on, on 127.0.0.1 only (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Runs `tiersim lab`.
pub fn run(args: &LabArgs) -> Result<()> {
    let first = match &args.scenario {
        Some(path) => {
            let scenario = input::read_scenario(path)?;
            let text = crate::config::decode(&scenario.source, &scenario.bytes)?;
            crate::config::parse(&scenario.source, text, &[], None)?;
            Some((file_name(path), text.to_string()))
        }
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the lab's runtime")?;
    runtime.block_on(async {
        let address = ("127.0.0.1", args.port);
        let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
            BadInput(format!(
                "--port {}: cannot listen on 127.0.0.1:{}: {e}",
                args.port, args.port
            ))
        })?;
        let port = listener.local_addr()?.port();
        let mut out = std::io::stdout().lock();
        writeln!(out, "lab: http://127.0.0.1:{port}/")?;
        out.flush()?;
        drop(out);
        super::status("Ctrl-C stops the lab\n");
        let first = first.as_ref().map(|(f, t)| (f.as_str(), t.as_str()));
        crate::lab::serve(listener, first, stop()).await?;
        Ok(())
    })
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || "scenario.toml".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Completes at Ctrl-C or SIGTERM.
async fn stop() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
}
