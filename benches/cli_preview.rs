//! Benchmark: a no-op `pulumi preview` of a ten-image stack through the
//! real Pulumi CLI, side by side with (a) the stat-only floor for the same
//! contexts (visit and stat every file, read nothing), (b) the time spent
//! in this provider's gRPC calls during that preview, from the engine's
//! own log (`PULUMI_DEBUG_GRPC`), and (c) the same CLI previewing a
//! program with no resources, and `pulumi version`: the CLI's own share.
//! Prints figures; asserts nothing. Target: the provider's calls (Check
//! and Diff of ten images, hashing included) ≤ 3 × the stat-only floor.
//!
//! Needs the environment of `scripts/test-env up` (DOCKER_HOST, the CLI on
//! PATH). Run: `cargo bench --bench cli_preview`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[path = "support/cli.rs"]
mod cli;

const IMAGES: usize = 10;
const FILES_PER_CONTEXT: usize = 2_000;
const ROUNDS: usize = 5;

type Failure = Box<dyn std::error::Error>;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `app-<n>/`: a Dockerfile and `FILES_PER_CONTEXT` small files in 20
/// directories, distinct per context.
fn make_contexts(root: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut contexts = Vec::new();
    for image in 0..IMAGES {
        let context = root.join(format!("app-{image}"));
        for file in 0..FILES_PER_CONTEXT {
            let dir = context.join(format!("d{}", file % 20));
            std::fs::create_dir_all(&dir)?;
            std::fs::write(
                dir.join(format!("f{file}.txt")),
                format!("{image}:{file}\n"),
            )?;
        }
        std::fs::write(
            context.join("Dockerfile"),
            "FROM busybox:local\nCOPY d0 /d0\n",
        )?;
        contexts.push(context);
    }
    Ok(contexts)
}

/// A YAML program of `images` Images (built, never pushed), using the
/// plugin cargo built.
fn write_program(dir: &Path, images: usize) -> Result<(), Failure> {
    let plugin = Path::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .parent()
        .ok_or("plugin directory")?;
    let mut yaml = format!(
        "name: bench\nruntime: yaml\nplugins:\n  providers:\n    - name: docker-build\n      path: {}\nresources:\n",
        plugin.display()
    );
    for image in 0..images {
        yaml.push_str(&format!(
            "  img{image}:\n    type: docker-build:Image\n    properties:\n      push: false\n      context:\n        location: ../app-{image}\n"
        ));
    }
    if images == 0 {
        yaml.push_str("  {}\n");
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("Pulumi.yaml"), yaml)?;
    Ok(())
}

/// A deployed stack of `program`; the best of `ROUNDS` no-op previews.
fn no_op_preview(program: &Path, backend: &Path) -> Result<(cli::Stack, Duration), Failure> {
    let stack = cli::Stack::init(program, backend)?;
    stack.run(&["up", "--yes", "--skip-preview"], &[])?;
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        best = best.min(stack.run(&["preview", "--expect-no-changes"], &[])?);
    }
    Ok((stack, best))
}

/// The time the engine's gRPC log records for calls to the provider in
/// one more no-op preview, summed over every method; calls that overlap
/// count each.
fn provider_calls(stack: &cli::Stack, log: &Path) -> Result<Duration, Failure> {
    stack.run(
        &["preview", "--expect-no-changes"],
        &[("PULUMI_DEBUG_GRPC", log)],
    )?;
    Ok(cli::provider_calls(log)?.into_iter().map(|(_, d)| d).sum())
}

/// The floor: visit and stat every file of every context, read nothing.
fn stat_walk(contexts: &[PathBuf]) -> Duration {
    fn walk(dir: &Path, bytes: &mut u64) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let entry = entry.expect("entry");
            let meta = std::fs::symlink_metadata(entry.path()).expect("stat");
            if meta.is_dir() {
                walk(&entry.path(), bytes);
            } else {
                *bytes += meta.len();
            }
        }
    }
    (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            let mut bytes = 0;
            for context in contexts {
                walk(context, &mut bytes);
            }
            assert!(bytes > 0);
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let contexts = make_contexts(work.path())?;
    let stack = work.path().join("stack");
    let empty = work.path().join("empty");
    write_program(&stack, IMAGES)?;
    write_program(&empty, 0)?;

    let version =
        cli::Stack::init(&empty, &work.path().join("backend-version"))?.run(&["version"], &[])?;
    let (_, cli_only) = no_op_preview(&empty, &work.path().join("backend-empty"))?;
    let (stack_of_ten, ten) = no_op_preview(&stack, &work.path().join("backend-stack"))?;
    let in_provider = provider_calls(&stack_of_ten, &work.path().join("grpc.json"))?;
    let floor = stat_walk(&contexts);

    println!(
        "no-op `pulumi preview`, {IMAGES} images × {FILES_PER_CONTEXT} files (best of {ROUNDS}):"
    );
    println!("  through the CLI and this plugin    {:>8.0} ms", ms(ten));
    println!(
        "  of which in this provider's calls  {:>8.0} ms  (Check + Diff of {IMAGES} images, hashing included)",
        ms(in_provider)
    );
    println!(
        "  the CLI's own share (no resources) {:>8.0} ms  (of which `pulumi version`: {:.0} ms)",
        ms(cli_only),
        ms(version)
    );
    println!("  stat-only floor for the contexts   {:>8.1} ms", ms(floor));
    println!(
        "  provider's calls / floor           {:>8.1} ×",
        ms(in_provider) / ms(floor).max(0.001)
    );
    Ok(())
}
