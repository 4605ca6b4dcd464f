//! Benchmark: the registry cache across machines. The same image is built
//! by the plugin on BuildKit daemon a (`builder.name: dbt-remote-a`, its
//! first build, which writes the automatic registry cache) and then on
//! daemon b (`dbt-remote-b`), whose own cache is empty, so its steps can
//! only come from the registry cache. Prints both times and b's cache
//! hits, per round; asserts nothing. Target: b ≤ 0.5 × a when the slow
//! step is cached.
//!
//! Needs the environment of `scripts/test-env up` (its build fleet, the
//! registry). Run: `cargo bench --bench fleet`.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{Value, map_from_json, map_to_struct, struct_to_map};
use tonic::transport::Channel;

#[path = "support/plugin.rs"]
mod support;

type Client = ResourceProviderClient<Channel>;
type Failure = Box<dyn std::error::Error>;

const ROUNDS: usize = 3;
const IMAGE_URN: &str = "urn:pulumi:bench::bench::docker-build:index:Image::img";
/// The slow step: what a real build spends its time on (compiling,
/// installing dependencies), here a fixed sleep plus 20 MB of output.
const SLOW_SECONDS: u32 = 4;

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

async fn plugin(dir: &Path) -> Result<(Child, Client), Failure> {
    let (child, mut client) = support::start(dir, &dir.join("xdg"), Stdio::null(), &[]).await?;
    client
        .configure(pb::ConfigureRequest {
            args: Some(map_to_struct(&map_from_json(serde_json::json!({})))),
            ..Default::default()
        })
        .await?;
    Ok((child, client))
}

/// Check + Create on `builder`; the time and the cache report's
/// (cached, total) steps.
async fn build_on(
    client: &mut Client,
    builder: &str,
    tag: &str,
) -> Result<(Duration, u64, u64), Failure> {
    let started = Instant::now();
    let news = serde_json::json!({
        "push": true, "tags": [tag], "builder": {"name": builder},
    });
    let checked = client
        .check(pb::CheckRequest {
            urn: IMAGE_URN.into(),
            news: Some(map_to_struct(&map_from_json(news))),
            ..Default::default()
        })
        .await?
        .into_inner();
    if !checked.failures.is_empty() {
        return Err(format!("check failed: {:?}", checked.failures).into());
    }
    let created = client
        .create(pb::CreateRequest {
            urn: IMAGE_URN.into(),
            properties: checked.inputs,
            ..Default::default()
        })
        .await?
        .into_inner();
    let elapsed = started.elapsed();
    let state = Value::Object(struct_to_map(created.properties.as_ref())?).to_json();
    let report = &state["cacheReport"];
    let count = |key: &str| report[key].as_f64().unwrap_or(0.0) as u64;
    Ok((elapsed, count("cachedSteps"), count("totalSteps")))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let registry =
        std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    std::env::var("DOCKER_BUILD_TEST_BUILDKIT")
        .map_err(|_| "no build fleet: source the env file of scripts/test-env")?;
    let dir = tempfile::tempdir()?;
    let (mut child, mut client) = plugin(dir.path()).await?;
    println!(
        "the same image on two BuildKit daemons (a slow step of {SLOW_SECONDS} s); b's own cache is empty:"
    );
    for round in 0..ROUNDS {
        let id = unique();
        std::fs::write(
            dir.path().join("Dockerfile"),
            format!(
                "FROM {registry}/busybox:local\nCOPY app.txt /app.txt\nRUN echo {id} > /id && sleep {SLOW_SECONDS} && head -c 20000000 /dev/urandom > /blob\nRUN cat /id /app.txt > /out\n"
            ),
        )?;
        std::fs::write(dir.path().join("app.txt"), format!("round {round}\n"))?;
        let tag = format!("{registry}/bench-fleet-{id}:1");
        let (a, _, _) = build_on(&mut client, "dbt-remote-a", &tag).await?;
        let (b, cached, total) = build_on(&mut client, "dbt-remote-b", &tag).await?;
        println!(
            "  round {round}: daemon a (first build) {:>6.2} s | daemon b, from the registry cache {:>6.2} s ({cached} of {total} steps cached) | b / a {:.2} ×",
            a.as_secs_f64(),
            b.as_secs_f64(),
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    child.kill()?;
    Ok(())
}
