//! Benchmark: stacks, not single images. Prints figures side by side in
//! one run; asserts nothing. Targets:
//!
//! - a two-platform image (`plan9/amd64` + `plan9/386`, 40 MB of distinct
//!   content per platform) through the provider, with its per-platform
//!   automatic caches, ≤ 1.15 × one raw `docker buildx build` of both
//!   platforms with one registry cache (and one platform alone, for scale);
//! - eight images sharing one 20,000-file context, each with its own
//!   Dockerfile, planned at once (Check + Diff of all eight concurrently,
//!   as the engine does): the first preview with a cold hash cache ≤ 1.3 ×
//!   the same for one image, and a no-op preview of the eight ≤ 1.3 × one.
//!
//! Needs the environment of `scripts/test-env up` (DOCKER_HOST, registry).
//! Run: `cargo bench --bench stacks`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::build::locate::find_buildx;
use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{Value, map_from_json, map_to_struct};
use tonic::transport::Channel;

#[path = "support/plugin.rs"]
mod support;

type Client = ResourceProviderClient<Channel>;
type Failure = Box<dyn std::error::Error>;

const ROUNDS: usize = 3;
const IMAGE_URN: &str = "urn:pulumi:bench::bench::docker-build:index:Image::img";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn best(samples: &[Duration]) -> Duration {
    samples.iter().min().copied().unwrap_or_default()
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The plugin, started in `dir` as the engine starts it.
async fn plugin(dir: &Path, xdg: &Path) -> Result<(Child, Client), Failure> {
    support::start(dir, xdg, Stdio::null(), &[]).await
}

async fn checked(
    client: &mut Client,
    inputs: serde_json::Value,
) -> Result<prost_types::Struct, Failure> {
    let response = client
        .check(pb::CheckRequest {
            urn: IMAGE_URN.into(),
            news: Some(map_to_struct(&map_from_json(inputs))),
            ..Default::default()
        })
        .await?
        .into_inner();
    if !response.failures.is_empty() {
        return Err(format!("check failed: {:?}", response.failures).into());
    }
    response.inputs.ok_or_else(|| "no inputs".into())
}

/// Check + Create of one image; the time of both.
async fn create(client: &mut Client, inputs: serde_json::Value) -> Result<Duration, Failure> {
    let started = Instant::now();
    let properties = checked(client, inputs).await?;
    client
        .create(pb::CreateRequest {
            urn: IMAGE_URN.into(),
            properties: Some(properties),
            ..Default::default()
        })
        .await?;
    Ok(started.elapsed())
}

async fn platforms(registry: &str) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM --platform=$BUILDPLATFORM busybox:local AS content\nARG TARGETPLATFORM\nARG SALT\nRUN echo $SALT $TARGETPLATFORM > /salt && head -c 40000000 /dev/urandom > /blob\nFROM scratch\nCOPY --from=content /salt /blob /\n",
    )?;
    let (mut child, mut client) = plugin(dir.path(), &dir.path().join("xdg")).await?;
    client
        .configure(pb::ConfigureRequest {
            args: Some(map_to_struct(&map_from_json(serde_json::json!({})))),
            ..Default::default()
        })
        .await?;
    let buildx = find_buildx().map_err(|_| "no docker-buildx")?;
    let id = unique();
    let (mut two, mut raw, mut one) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let salt = |what: &str| format!("{what}-{id}-{round}");
        two.push(
            create(
                &mut client,
                serde_json::json!({
                    "push": true, "tags": [format!("{registry}/bench-two-{id}:{round}")],
                    "platforms": ["plan9/amd64", "plan9/386"], "buildArgs": {"SALT": salt("two")},
                }),
            )
            .await?,
        );
        let repository = format!("{registry}/bench-raw-{id}");
        let started = Instant::now();
        let status = Command::new(&buildx)
            .args(["build", "--platform", "plan9/amd64,plan9/386", "--push", "--provenance", "false"])
            .args(["--tag", &format!("{repository}:{round}")])
            .args(["--build-arg", &format!("SALT={}", salt("raw"))])
            .args(["--cache-from", &format!("type=registry,ref={repository}:cache")])
            .args(["--cache-to", &format!("type=registry,ref={repository}:cache,mode=max,image-manifest=true,oci-mediatypes=true")])
            .arg(".")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("raw buildx failed: {status}").into());
        }
        raw.push(started.elapsed());
        one.push(
            create(
                &mut client,
                serde_json::json!({
                    "push": true, "tags": [format!("{registry}/bench-one-{id}:{round}")],
                    "platforms": ["plan9/amd64"], "buildArgs": {"SALT": salt("one")},
                }),
            )
            .await?,
        );
    }
    let _ = child.kill();
    let (two, raw, one) = (best(&two), best(&raw), best(&one));
    println!(
        "multi-platform image (40 MB per platform, fresh content each round), best of {ROUNDS}:"
    );
    println!(
        "  raw buildx, both platforms, one cache : {:8.1} ms",
        ms(raw)
    );
    println!(
        "  provider, one platform                : {:8.1} ms",
        ms(one)
    );
    println!(
        "  provider, two platforms               : {:8.1} ms  = {:.2} x raw  target <= 1.15  ({:.2} x one platform)",
        ms(two),
        ms(two) / ms(raw),
        ms(two) / ms(one)
    );
    Ok(())
}

/// Check + Diff of `images` Dockerfiles on one context, all at once, in a
/// new plugin process; the time until every Diff answered.
async fn plan_at_once(root: &Path, xdg: &Path, images: usize) -> Result<Duration, Failure> {
    let (mut child, client) = plugin(root, xdg).await?;
    let started = Instant::now();
    let plans = (0..images).map(|i| {
        let mut client = client.clone();
        async move {
            let inputs = checked(
                &mut client,
                serde_json::json!({
                    "push": false, "context": {"location": "context"},
                    "dockerfile": {"location": format!("docker/{i}.Dockerfile")},
                }),
            )
            .await?;
            let mut olds = inputs.clone();
            olds.fields
                .insert("contextHash".into(), Value::String("seed".into()).to_wire());
            client
                .diff(pb::DiffRequest {
                    urn: IMAGE_URN.into(),
                    olds: Some(olds),
                    news: Some(inputs),
                    ..Default::default()
                })
                .await?;
            Ok::<_, Failure>(())
        }
    });
    futures_util::future::try_join_all(plans).await?;
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    Ok(took)
}

async fn monorepo() -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let root = work.path();
    for i in 0..20_000 {
        let path = root.join(format!("context/pkg{}/src/{i}.txt", i % 100));
        std::fs::create_dir_all(path.parent().ok_or("parent")?)?;
        std::fs::write(path, format!("{i:08}\n").repeat(512))?;
    }
    std::fs::create_dir(root.join("docker"))?;
    for i in 0..8 {
        std::fs::write(
            root.join(format!("docker/{i}.Dockerfile")),
            format!("FROM scratch\nCOPY pkg{i} /\n"),
        )?;
    }
    // Files younger than a second are never trusted from a hash cache.
    std::thread::sleep(Duration::from_millis(1500));
    let (mut cold1, mut cold8, mut warm1, mut warm8) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let xdg1 = root.join(format!("xdg1-{round}"));
        let xdg8 = root.join(format!("xdg8-{round}"));
        cold1.push(plan_at_once(root, &xdg1, 1).await?);
        cold8.push(plan_at_once(root, &xdg8, 8).await?);
        warm1.push(plan_at_once(root, &xdg1, 1).await?);
        warm8.push(plan_at_once(root, &xdg8, 8).await?);
    }
    let (cold1, cold8, warm1, warm8) = (best(&cold1), best(&cold8), best(&warm1), best(&warm8));
    println!(
        "monorepo: 20,000 files (80 MB) in one context, Check + Diff per image in a new process, best of {ROUNDS}:"
    );
    println!(
        "  first preview, cold hash cache : one image {:8.1} ms, eight {:8.1} ms  = {:.2} x  target <= 1.3",
        ms(cold1),
        ms(cold8),
        ms(cold8) / ms(cold1)
    );
    println!(
        "  no-op preview                  : one image {:8.1} ms, eight {:8.1} ms  = {:.2} x  target <= 1.3",
        ms(warm1),
        ms(warm8),
        ms(warm8) / ms(warm1)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let registry =
        std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    monorepo().await?;
    platforms(&registry).await?;
    Ok(())
}
