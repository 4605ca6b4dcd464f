//! Benchmark: the provider's Create on a fully cached rebuild, next to a
//! raw `docker buildx build` with the same flags, on the same machine in
//! the same run. Prints figures; asserts nothing (targets are checked by
//! reading them: provider ≤ 110% of raw).
//!
//! Needs the environment of `scripts/test-env up` (DOCKER_HOST, registry).
//! Run: `cargo bench --bench cached_rebuild`.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::build::locate::find_buildx;
use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{Value, map_to_struct};

const ROUNDS: usize = 7;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry =
        std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:local\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nRUN echo done > /c.txt\n",
    )?;
    std::fs::write(dir.path().join("a.txt"), "bench\n")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let tag = format!("{registry}/bench-{nanos}:latest");
    let inputs = serde_json::json!({"push": true, "tags": [tag], "context": {"location": "."}, "dockerfile": {"location": "Dockerfile"}});

    // The provider, as the engine starts it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut port)?;
    let mut client =
        ResourceProviderClient::connect(format!("http://127.0.0.1:{}", port.trim())).await?;
    let Value::Object(news) = Value::from_json(&inputs) else {
        unreachable!()
    };
    let checked = client
        .check(pb::CheckRequest {
            urn: "urn:pulumi:b::b::docker-build:index:Image::b".into(),
            news: Some(map_to_struct(&news)),
            ..Default::default()
        })
        .await?
        .into_inner();
    let properties = checked.inputs.ok_or("inputs")?;
    let create = |client: &mut ResourceProviderClient<tonic::transport::Channel>| {
        let mut client = client.clone();
        let properties = properties.clone();
        async move {
            let started = Instant::now();
            client
                .create(pb::CreateRequest {
                    urn: "urn:pulumi:b::b::docker-build:index:Image::b".into(),
                    properties: Some(properties),
                    ..Default::default()
                })
                .await?;
            Ok::<_, tonic::Status>(started.elapsed())
        }
    };
    // Seed the local and registry caches.
    create(&mut client).await?;

    // The same build as a command line, run by hand: the tag, pushed,
    // with the automatic cache the provider adds.
    let cache = format!(
        "{}:cache",
        tag.rsplit_once(':').map_or(tag.as_str(), |(r, _)| r)
    );
    let argv = [
        "build".to_owned(),
        "--provenance".into(),
        "false".into(),
        "--file".into(),
        "Dockerfile".into(),
        "--tag".into(),
        tag.clone(),
        "--cache-from".into(),
        format!("type=registry,ref={cache}"),
        "--cache-to".into(),
        format!(
            "type=registry,ref={cache},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"
        ),
        "--push".into(),
        ".".into(),
    ];
    let buildx = find_buildx().map_err(|_| "no docker-buildx")?;
    let raw = |dir: &Path| {
        let started = Instant::now();
        let status = Command::new(&buildx)
            .args(&argv)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("raw buildx failed: {status}").into());
        }
        Ok::<_, Box<dyn std::error::Error>>(started.elapsed())
    };

    let (mut provider_times, mut raw_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        provider_times.push(create(&mut client).await?);
        raw_times.push(raw(dir.path())?);
    }
    let _ = child.kill();
    let (provider, raw) = (median(provider_times), median(raw_times));
    println!("cached rebuild, median of {ROUNDS} (interleaved):");
    println!("  raw docker buildx build : {:8.1} ms", millis(raw));
    println!("  provider Create         : {:8.1} ms", millis(provider));
    println!(
        "  overhead                : {:+8.1} ms ({:+.1}%, target <= +10%)",
        millis(provider) - millis(raw),
        (millis(provider) / millis(raw) - 1.0) * 100.0
    );
    Ok(())
}
