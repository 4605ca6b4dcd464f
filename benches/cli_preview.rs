//! Benchmark: a no-op `pulumi preview` of a ten-image stack through the
//! real Pulumi CLI, side by side with (a) the stat-only floor for the same
//! contexts (visit and stat every file, read nothing) and (b) the same CLI
//! previewing a program with no resources, which is the CLI's own share:
//! start-up, the YAML language host, the engine. Prints figures; asserts
//! nothing. Target: the ten images cost at most the CLI's own share plus
//! 2 × the floor.
//!
//! Needs the environment of `scripts/test-env up` (DOCKER_HOST, the CLI on
//! PATH). Run: `cargo bench --bench cli_preview`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

/// `pulumi <args>` in `program` with a private file backend; its time.
fn pulumi(program: &Path, backend: &Path, args: &[&str]) -> Result<Duration, Failure> {
    let started = Instant::now();
    let output = Command::new("pulumi")
        .args(args)
        .args(["--non-interactive", "--color", "never", "--cwd"])
        .arg(program)
        .env(
            "PULUMI_BACKEND_URL",
            format!("file://{}", backend.display()),
        )
        .env("PULUMI_CONFIG_PASSPHRASE", "bench")
        .env("PULUMI_SKIP_UPDATE_CHECK", "true")
        .env("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
        .output()
        .map_err(|e| {
            format!("pulumi could not start ({e}): source the env file of scripts/test-env")
        })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "pulumi {} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(elapsed)
}

/// A deployed stack of `program`; the best of `ROUNDS` no-op previews.
fn no_op_preview(program: &Path, backend: &Path) -> Result<Duration, Failure> {
    std::fs::create_dir_all(backend)?;
    pulumi(program, backend, &["stack", "init", "bench"])?;
    pulumi(program, backend, &["up", "--yes", "--skip-preview"])?;
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        best = best.min(pulumi(
            program,
            backend,
            &["preview", "--expect-no-changes"],
        )?);
    }
    Ok(best)
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

    let version = pulumi(&empty, &work.path().join("backend-version"), &["version"])?;
    let cli_only = no_op_preview(&empty, &work.path().join("backend-empty"))?;
    let ten = no_op_preview(&stack, &work.path().join("backend-stack"))?;
    let floor = stat_walk(&contexts);

    println!(
        "no-op `pulumi preview`, {IMAGES} images × {FILES_PER_CONTEXT} files (best of {ROUNDS}):"
    );
    println!("  through the CLI and this plugin    {:>8.0} ms", ms(ten));
    println!(
        "  the CLI's own share (no resources) {:>8.0} ms  (of which `pulumi version`: {:.0} ms)",
        ms(cli_only),
        ms(version)
    );
    println!(
        "  what the images add                {:>8.0} ms",
        ms(ten.saturating_sub(cli_only))
    );
    println!("  stat-only floor for the contexts   {:>8.1} ms", ms(floor));
    println!(
        "  images' share / floor              {:>8.1} ×",
        ms(ten.saturating_sub(cli_only)) / ms(floor).max(0.001)
    );
    Ok(())
}
