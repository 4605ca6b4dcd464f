//! Starting the plugin as the engine does, for the benchmarks that drive
//! it through gRPC (included by each with `#[path]`).

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use tonic::transport::Channel;

/// The plugin in `dir` with its hash caches under `xdg`, its log to
/// `stderr` and `env` set; and a client connected to the port it printed.
pub async fn start(
    dir: &Path,
    xdg: &Path,
    stderr: Stdio,
    env: &[(&str, &str)],
) -> Result<(Child, ResourceProviderClient<Channel>), Box<dyn std::error::Error>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .current_dir(dir)
        .env("XDG_CACHE_HOME", xdg)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut port)?;
    let client =
        ResourceProviderClient::connect(format!("http://127.0.0.1:{}", port.trim())).await?;
    Ok((child, client))
}
