//! Benchmark: the provider's own footprint. Prints figures; asserts
//! nothing. Targets: start to printed port ≤ 50 ms; idle RSS ≤ 30 MiB;
//! RSS during 16 concurrent builds ≤ 100 MiB.
//!
//! Needs the environment of `scripts/test-env up` (DOCKER_HOST, registry).
//! Run: `cargo bench --bench resources`.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{Value, map_to_struct};

const BUILDS: usize = 16;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn start(dir: &std::path::Path) -> (Child, u16, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("provider starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port line");
    let elapsed = started.elapsed();
    (child, line.trim().parse().expect("a port"), elapsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry =
        std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into());
    let dir = tempfile::tempdir()?;

    let mut starts: Vec<Duration> = (0..20)
        .map(|_| {
            let (mut child, _, elapsed) = start(dir.path());
            let _ = child.kill();
            let _ = child.wait();
            elapsed
        })
        .collect();
    starts.sort();

    let (mut child, port, _) = start(dir.path());
    let pid = child.id();
    let mut client = ResourceProviderClient::connect(format!("http://127.0.0.1:{port}")).await?;
    client.get_plugin_info(()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(pid);

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let mut requests = Vec::new();
    for i in 0..BUILDS {
        let app = dir.path().join(format!("app{i}"));
        std::fs::create_dir_all(&app)?;
        std::fs::write(
            app.join("Dockerfile"),
            "FROM busybox:local\nCOPY id.txt /id.txt\nRUN sleep 1\n",
        )?;
        std::fs::write(app.join("id.txt"), format!("{nanos} {i}\n"))?;
        let json = serde_json::json!({"push": true, "tags": [format!("{registry}/rss-{nanos}-{i}:1")], "context": {"location": app.display().to_string()}});
        let Value::Object(news) = Value::from_json(&json) else {
            unreachable!()
        };
        let checked = client
            .check(pb::CheckRequest {
                urn: format!("urn:pulumi:b::b::docker-build:index:Image::i{i}"),
                news: Some(map_to_struct(&news)),
                ..Default::default()
            })
            .await?;
        requests.push(checked.into_inner().inputs.ok_or("inputs")?);
    }
    let peak = Arc::new(AtomicU64::new(idle));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let handles: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, properties)| {
            let mut client = client.clone();
            tokio::spawn(async move {
                client
                    .create(pb::CreateRequest {
                        urn: format!("urn:pulumi:b::b::docker-build:index:Image::i{i}"),
                        properties: Some(properties),
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    for handle in handles {
        handle.await??;
    }
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let _ = child.kill();
    let _ = child.wait();

    println!("provider footprint:");
    println!(
        "  start to printed port : median {:.1} ms, worst {:.1} ms of {}  (target <= 50 ms)",
        starts[starts.len() / 2].as_secs_f64() * 1000.0,
        starts[starts.len() - 1].as_secs_f64() * 1000.0,
        starts.len()
    );
    println!(
        "  idle RSS              : {:.1} MiB  (target <= 30 MiB)",
        idle as f64 / 1024.0
    );
    println!(
        "  RSS, {BUILDS} builds at once : {:.1} MiB peak  (target <= 100 MiB); wall {:.1} s",
        peak.load(Ordering::Relaxed) as f64 / 1024.0,
        wall.as_secs_f64()
    );
    Ok(())
}
