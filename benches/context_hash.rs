//! Benchmark: hashing a large build context. Prints figures; asserts
//! nothing. Targets: cold ≤ 0.6 × single-thread read+sha256; warm and
//! Check+Diff ≤ 2 × a stat-only walk.
//!
//! Generates 20,000 files (~190 MB) plus an ignored 2,000-file
//! `node_modules`, then measures in one run:
//! (a) single-thread read + sha256 of every file (the Go provider's way),
//! (b) a stat-only walk (the floor), (c) our cold hash, (d) our warm hash
//! with the on-disk index, (e) Check + Diff through the gRPC server, and
//! (f) the same no-op for a stack whose state the official provider wrote
//! (target: no more than our own no-op once the official hash is known).
//!
//! Run: `cargo bench --bench context_hash`.

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::context::{ContextHasher, ContextSources, LocalContext, OfficialSources};
use docker_build::rpc::pb;
use docker_build::rpc::pb::resource_provider_client::ResourceProviderClient;
use docker_build::wire::{Value, map_to_struct};
use sha2::{Digest, Sha256};

#[path = "support/plugin.rs"]
mod plugin;

const FILES: usize = 20_000;
const TOTAL_BYTES: usize = 190 * 1024 * 1024;
const IGNORED: usize = 2_000;
const ROUNDS: usize = 3;

fn generate(root: &Path) -> std::io::Result<()> {
    let average = TOTAL_BYTES / FILES;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..FILES {
        let dir = root.join(format!("src/m{}/p{}", i % 40, i % 13));
        std::fs::create_dir_all(&dir)?;
        // Sizes vary around the average; content differs per file.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let size = average / 2 + (seed >> 33) as usize % average;
        let mut content = vec![0u8; size];
        for (j, byte) in content.iter_mut().enumerate() {
            *byte = (i.wrapping_mul(31).wrapping_add(j) % 251) as u8;
        }
        std::fs::write(dir.join(format!("f{i}.dat")), content)?;
    }
    for i in 0..IGNORED {
        let dir = root.join(format!("node_modules/pkg{}", i % 50));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("index{i}.js")),
            format!("module.exports = {i};\n"),
        )?;
    }
    std::fs::write(root.join(".dockerignore"), "node_modules\n")?;
    std::fs::write(root.join("Dockerfile"), "FROM scratch\nCOPY src /src\n")?;
    Ok(())
}

fn files_outside_node_modules(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_name() == "node_modules" {
            continue;
        }
        let file_type = entry.file_type().unwrap();
        if file_type.is_dir() {
            files_outside_node_modules(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// (a) The Go provider's method: one thread reads and hashes every byte.
fn single_thread_read(root: &Path) -> Duration {
    let started = Instant::now();
    let mut files = Vec::new();
    files_outside_node_modules(root, &mut files);
    files.sort();
    let mut total = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    for path in files {
        let mut file = std::fs::File::open(&path).unwrap();
        loop {
            let n = file.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            total.update(&buffer[..n]);
        }
        total.update(path.as_os_str().as_encoded_bytes());
    }
    let _ = total.finalize();
    started.elapsed()
}

/// (b) The floor: visit and stat every file, read nothing.
fn stat_walk(root: &Path) -> Duration {
    let started = Instant::now();
    let mut files = Vec::new();
    files_outside_node_modules(root, &mut files);
    let mut bytes = 0u64;
    for path in &files {
        bytes += std::fs::symlink_metadata(path).unwrap().len();
    }
    assert!(bytes > 0);
    started.elapsed()
}

fn sources(root: &Path) -> ContextSources {
    ContextSources {
        dockerfile: Some(root.join("Dockerfile")),
        main: Some(LocalContext::open(root.to_path_buf(), None).unwrap()),
        only: None,
        named: Vec::new(),
    }
}

fn best(samples: impl Iterator<Item = Duration>) -> Duration {
    samples.min().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    let root = work.path().join("context");
    std::fs::create_dir(&root)?;
    eprintln!(
        "generating {FILES} files (~{} MB) and {IGNORED} ignored ones...",
        TOTAL_BYTES >> 20
    );
    generate(&root)?;
    // Files younger than a second are never trusted from an index.
    std::thread::sleep(Duration::from_millis(1500));
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    let a = best((0..ROUNDS).map(|_| single_thread_read(&root)));
    let b = best((0..ROUNDS).map(|_| stat_walk(&root)));
    let c = best((0..ROUNDS).map(|round| {
        let cache = work.path().join(format!("cold-{round}"));
        ContextHasher::new(threads, Some(cache))
            .hash(&sources(&root))
            .unwrap()
            .1
            .elapsed
    }));
    let warm_cache = work.path().join("warm");
    let (_, seeded) =
        ContextHasher::new(threads, Some(warm_cache.clone())).hash(&sources(&root))?;
    assert_eq!(seeded.from_index, 0);
    let d = best((0..ROUNDS).map(|_| {
        let (_, stats) = ContextHasher::new(threads, Some(warm_cache.clone()))
            .hash(&sources(&root))
            .unwrap();
        assert_eq!(stats.from_index, stats.files, "every file from the index");
        stats.elapsed
    }));

    // (e) Check + Diff through the plugin, with the same warm index.
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .current_dir(&root)
        .env("XDG_CACHE_HOME", work.path().join("xdg"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut port)?;
    let mut client =
        ResourceProviderClient::connect(format!("http://127.0.0.1:{}", port.trim())).await?;
    let urn = "urn:pulumi:b::b::docker-build:index:Image::b";
    let Value::Object(news) = Value::from_json(&serde_json::json!({"push": false})) else {
        unreachable!()
    };
    let check = pb::CheckRequest {
        urn: urn.into(),
        news: Some(map_to_struct(&news)),
        ..Default::default()
    };
    let checked = client
        .check(check.clone())
        .await?
        .into_inner()
        .inputs
        .ok_or("inputs")?;
    let mut olds = checked.clone();
    olds.fields
        .insert("contextHash".into(), Value::String("seed".into()).to_wire());
    let diff = pb::DiffRequest {
        urn: urn.into(),
        olds: Some(olds),
        news: Some(checked),
        ..Default::default()
    };
    // One Diff builds the provider's own index (a first `pulumi up`).
    client.diff(diff.clone()).await?;
    // Later runs are new processes: restart so nothing is in memory.
    let _ = child.kill();
    let _ = child.wait();
    let provider_log = work.path().join("provider.log");
    let e = no_op_previews(&root, work.path(), &check, &diff, "e").await?;

    // (f) The same no-op for a stack written by the official provider: its
    // state holds the official hash, recognised once and then remembered.
    let official = OfficialSources {
        dockerfile: Some(root.join("Dockerfile")),
        main: Some({
            let opened =
                LocalContext::open(root.clone(), Some(&root.join("Dockerfile.dockerignore")))?;
            (opened.root, opened.ignore)
        }),
        named: Vec::new(),
    }
    .hash(false)?;
    let mut official_diff = diff.clone();
    if let Some(olds) = official_diff.olds.as_mut() {
        olds.fields
            .insert("contextHash".into(), Value::String(official).to_wire());
    }
    let first = Instant::now();
    {
        let (mut child, mut client) = start_plugin(&root, work.path(), &provider_log).await?;
        client.check(check.clone()).await?;
        let answer = client.diff(official_diff.clone()).await?.into_inner();
        assert!(
            answer.diffs.is_empty(),
            "the official hash is recognised: {answer:?}"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    let first = first.elapsed();
    let f = no_op_previews(&root, work.path(), &check, &official_diff, "f").await?;
    for line in std::fs::read_to_string(&provider_log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("context hashed"))
    {
        eprintln!(
            "    provider: {}",
            line.split("docker_build::provider: ")
                .nth(1)
                .unwrap_or(line)
        );
    }

    println!(
        "context of {FILES} files (~{} MB) + {IGNORED} ignored, {threads} threads, best of {ROUNDS}:",
        TOTAL_BYTES >> 20
    );
    println!("  (a) single-thread read+sha256 : {:9.1} ms", ms(a));
    println!("  (b) stat-only walk (floor)    : {:9.1} ms", ms(b));
    println!(
        "  (c) cold hash                 : {:9.1} ms  = {:.2} x (a)  target <= 0.60",
        ms(c),
        ms(c) / ms(a)
    );
    println!(
        "  (d) warm hash, with index     : {:9.1} ms  = {:.2} x (b)  target <= 2.00",
        ms(d),
        ms(d) / ms(b)
    );
    println!(
        "  (e) Check+Diff via gRPC       : {:9.1} ms  = {:.2} x (b)  target <= 2.00",
        ms(e),
        ms(e) / ms(b)
    );
    println!(
        "  official state, first preview : {:9.1} ms  (reads every byte once, as the official provider does)",
        ms(first)
    );
    println!(
        "  (f) ... later no-op previews  : {:9.1} ms  = {:.2} x (e), {:.2} x (b)  target <= our no-op",
        ms(f),
        ms(f) / ms(e),
        ms(f) / ms(b)
    );
    Ok(())
}

/// Starts the plugin in `root` with the benchmark's cache directory,
/// logging its hashing figures to `log`.
async fn start_plugin(
    root: &Path,
    work: &Path,
    log: &Path,
) -> Result<
    (
        std::process::Child,
        ResourceProviderClient<tonic::transport::Channel>,
    ),
    Box<dyn std::error::Error>,
> {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)?;
    plugin::start(
        root,
        &work.join("xdg"),
        Stdio::from(log),
        &[("RUST_LOG", "docker_build::provider=debug")],
    )
    .await
}

/// The best of `ROUNDS` no-op previews (Check + Diff), each in a new
/// process, as each `pulumi preview` starts the plugin afresh.
async fn no_op_previews(
    root: &Path,
    work: &Path,
    check: &pb::CheckRequest,
    diff: &pb::DiffRequest,
    label: &str,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let mut samples = Vec::new();
    for _ in 0..ROUNDS {
        let (mut child, mut client) = start_plugin(root, work, &work.join("provider.log")).await?;
        let started = Instant::now();
        client.check(check.clone()).await?;
        let checked_at = started.elapsed();
        let answer = client.diff(diff.clone()).await?.into_inner();
        samples.push(started.elapsed());
        eprintln!(
            "    ({label}) round: Check {:.1} ms, Check+Diff {:.1} ms, changes {:?}",
            ms(checked_at),
            ms(started.elapsed()),
            answer.diffs
        );
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(best(samples.into_iter()))
}
