//! Benchmark: this provider side by side with the official one
//! (pulumi/pulumi-docker-build, built by `scripts/go-tools`), as a user
//! deciding whether to switch would measure them: the same Pulumi YAML
//! stacks deployed through the real CLI by each, on the same BuildKit
//! builder, interleaved, several rounds, medians. Prints figures and the
//! ratio ours/official; asserts nothing.
//!
//! Each stack has `n` images (1, 10, 30), each its own context of
//! `FILES_PER_CONTEXT` files, pushed to the local registry with the seed's
//! explicit registry `cacheFrom`/`cacheTo` (`mode=max`), built on the build
//! fleet's remote BuildKit (`builder.name`; the official provider cannot
//! use the engine's own `docker` driver). Steps, in order:
//!
//! - cold `up`: the builder's cache emptied, new repositories, build steps
//!   no earlier build ran;
//! - no-op `preview`, no-op `up`, `refresh`;
//! - an edit to one context deployed on an emptied builder cache (a fresh
//!   CI runner): the registry cache serves the unchanged steps.
//!
//! Then where the time goes: per provider method, the calls' summed time
//! from the engine's own gRPC log during the cold `up` and the no-op
//! preview; plugin start (to the port) and exit (after SIGINT), measured
//! directly; and this provider's own phases of Create (`DOCKER_BUILD_TIMINGS`).
//!
//! Needs `scripts/test-env up` (its CLI, registry and build fleet) and the
//! official provider (`DOCKER_BUILD_OFFICIAL_PROVIDER`, set by the same env
//! file). Run: `cargo bench --bench side_by_side`. `SIDE_BY_SIDE_SIZES`
//! (default `1,10,30`), `SIDE_BY_SIDE_ROUNDS` (3) and `SIDE_BY_SIDE_BUILDER`
//! (`dbt-remote-a`) change what runs.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::timings::TIMINGS_FILE;

#[path = "support/cli.rs"]
mod cli;

type Failure = Box<dyn std::error::Error>;

const FILES_PER_CONTEXT: usize = 300;

/// The steps measured, in the order they run.
const STEPS: [&str; 5] = [
    "cold up",
    "no-op preview",
    "no-op up",
    "refresh",
    "edit, fresh runner",
];

/// One provider under test: its name and the directory of its binary.
struct Contender {
    name: &'static str,
    plugin_dir: PathBuf,
}

/// What one stack's run measured.
#[derive(Default)]
struct Run {
    steps: BTreeMap<&'static str, Duration>,
    /// CPU time per step: the CLI with its plugins and their children, and
    /// the builder's BuildKit daemon.
    client_cpu: BTreeMap<&'static str, Duration>,
    daemon_cpu: BTreeMap<&'static str, Duration>,
    /// Per provider method, summed call time: cold up, no-op preview.
    calls_up: BTreeMap<String, Duration>,
    calls_preview: BTreeMap<String, Duration>,
    /// This provider's phases, summed over its Creates: cold up, edit.
    phases_up: BTreeMap<String, Duration>,
    phases_edit: BTreeMap<String, Duration>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn registry() -> String {
    std::env::var("DOCKER_BUILD_TEST_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5000".into())
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Empties the builder's cache: what a fresh CI runner starts with.
fn prune(builder: &str) -> Result<(), Failure> {
    let status = Command::new("docker")
        .args(["buildx", "prune", "--all", "--force", "--builder", builder])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("`docker buildx prune --builder {builder}` failed").into());
    }
    Ok(())
}

/// Context `ctx-<i>` of a stack: a Dockerfile whose steps are unique to
/// `marker`, and `FILES_PER_CONTEXT` small files in ten directories.
fn write_context(dir: &Path, marker: &str) -> Result<(), Failure> {
    for file in 0..FILES_PER_CONTEXT {
        let sub = dir.join(format!("d{}", file % 10));
        std::fs::create_dir_all(&sub)?;
        std::fs::write(
            sub.join(format!("f{file}.txt")),
            format!("{marker}:{file}\n"),
        )?;
    }
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {}/busybox:local\nCOPY . /app\nRUN echo {marker} > /marker && find /app -type f | wc -l > /count\n",
            registry()
        ),
    )?;
    Ok(())
}

/// A YAML program of `images` pushed Images with explicit registry
/// caches, on `builder`, run by the plugin in `plugin_dir`.
fn write_program(
    dir: &Path,
    plugin_dir: &Path,
    images: usize,
    name: &str,
    builder: &str,
) -> Result<(), Failure> {
    let mut yaml = format!(
        "name: sbs\nruntime: yaml\nplugins:\n  providers:\n    - name: docker-build\n      path: {}\nresources:\n",
        plugin_dir.display()
    );
    for image in 0..images {
        let repository = format!("{}/sbs-{name}-{image}", registry());
        write_context(
            &dir.join(format!("ctx-{image}")),
            &format!("{name}-{image}"),
        )?;
        yaml.push_str(&format!(
            "  img{image}:\n    type: docker-build:Image\n    properties:\n      push: true\n      tags: [\"{repository}:latest\"]\n      context:\n        location: ./ctx-{image}\n      builder:\n        name: {builder}\n      cacheFrom:\n        - registry:\n            ref: {repository}:cache\n      cacheTo:\n        - registry:\n            ref: {repository}:cache\n            mode: max\n"
        ));
    }
    std::fs::write(dir.join("Pulumi.yaml"), yaml)?;
    Ok(())
}

/// The CPU time the fleet's daemon behind `builder` (`dbt-remote-<x>`) has
/// used so far, from its pid file and `/proc`; zero if it is not one.
fn daemon_cpu(builder: &str) -> Duration {
    let Some(name) = builder.strip_prefix("dbt-remote-") else {
        return Duration::ZERO;
    };
    let pid_file = Path::new(&std::env::var("DOCKER_BUILD_TEST_BUILDKIT").unwrap_or_default())
        .join(name)
        .join("pid");
    let pid = std::fs::read_to_string(pid_file).unwrap_or_default();
    // utime and stime: fields 14 and 15 of stat(5).
    cli::stat_cpu(&format!("/proc/{}/stat", pid.trim()), [14, 15])
}

/// Runs `pulumi <args>` as `step` of `run`: its wall time and CPU.
fn step(
    run: &mut Run,
    step: &'static str,
    stack: &cli::Stack,
    args: &[&str],
    env: &[(&str, &Path)],
    builder: &str,
) -> Result<(), Failure> {
    let (client, daemon) = (cli::children_cpu(), daemon_cpu(builder));
    run.steps.insert(step, stack.run(args, env)?);
    run.client_cpu
        .insert(step, cli::children_cpu().saturating_sub(client));
    run.daemon_cpu
        .insert(step, daemon_cpu(builder).saturating_sub(daemon));
    Ok(())
}

/// Every step for one stack of `images` images deployed by `contender`.
fn run_stack(
    contender: &Contender,
    images: usize,
    work: &Path,
    builder: &str,
) -> Result<Run, Failure> {
    let name = format!("{}-{images}-{}", contender.name, unique());
    let program = work.join(&name);
    std::fs::create_dir_all(&program)?;
    write_program(&program, &contender.plugin_dir, images, &name, builder)?;
    let stack = cli::Stack::init(&program, &work.join(format!("{name}-backend")))?;
    let mut run = Run::default();
    let up = ["up", "--yes", "--skip-preview"];

    prune(builder)?;
    let (grpc, timings) = (
        work.join(format!("{name}-up.grpc")),
        work.join(format!("{name}-up.timings")),
    );
    let env = [
        ("PULUMI_DEBUG_GRPC", grpc.as_path()),
        (TIMINGS_FILE, timings.as_path()),
    ];
    step(&mut run, STEPS[0], &stack, &up, &env, builder)?;
    run.calls_up = cli::provider_calls(&grpc)?.into_iter().collect();
    run.phases_up = phases(&timings)?;

    let grpc = work.join(format!("{name}-preview.grpc"));
    let preview = ["preview", "--expect-no-changes"];
    let env = [("PULUMI_DEBUG_GRPC", grpc.as_path())];
    step(&mut run, STEPS[1], &stack, &preview, &env, builder)?;
    run.calls_preview = cli::provider_calls(&grpc)?.into_iter().collect();
    let no_op_up = ["up", "--yes", "--skip-preview", "--expect-no-changes"];
    step(&mut run, STEPS[2], &stack, &no_op_up, &[], builder)?;
    let refresh = ["refresh", "--yes", "--skip-preview"];
    step(&mut run, STEPS[3], &stack, &refresh, &[], builder)?;

    std::fs::write(
        program.join("ctx-0/d0/f0.txt"),
        format!("edited {}\n", unique()),
    )?;
    prune(builder)?;
    let timings = work.join(format!("{name}-edit.timings"));
    let env = [(TIMINGS_FILE, timings.as_path())];
    step(&mut run, STEPS[4], &stack, &up, &env, builder)?;
    run.phases_edit = phases(&timings)?;
    Ok(run)
}

/// This provider's phases (`docker_build::timings`), summed per phase; none
/// for a provider that writes none.
fn phases(file: &Path) -> Result<BTreeMap<String, Duration>, Failure> {
    let mut sums = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(sums);
    };
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line)?;
        let (Some(phase), Some(ms)) = (entry["phase"].as_str(), entry["ms"].as_f64()) else {
            return Err(format!("{}: {line}", file.display()).into());
        };
        *sums.entry(phase.to_owned()).or_default() += Duration::from_secs_f64(ms / 1000.0);
    }
    Ok(sums)
}

/// The median time from starting `binary` to the port on its stdout, and
/// from SIGINT to its exit.
fn start_and_exit(binary: &Path, samples: usize) -> Result<(Duration, Duration), Failure> {
    let (mut starts, mut exits) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let started = Instant::now();
        let mut child = Command::new(binary)
            // An engine address nobody serves: neither provider logs here.
            .arg("127.0.0.1:9")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut port = String::new();
        std::io::BufReader::new(child.stdout.take().ok_or("stdout")?).read_line(&mut port)?;
        starts.push(started.elapsed());
        let interrupted = Instant::now();
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()?;
        child.wait()?;
        exits.push(interrupted.elapsed());
    }
    Ok((median(starts), median(exits)))
}

/// The contenders: ours (cargo's build) and the official provider.
fn contenders() -> Result<[Contender; 2], Failure> {
    let ours = Path::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"))
        .parent()
        .ok_or("plugin directory")?
        .to_path_buf();
    let official = std::env::var("DOCKER_BUILD_OFFICIAL_PROVIDER").map_err(|_| {
        "DOCKER_BUILD_OFFICIAL_PROVIDER is not set: run `scripts/test-env up` and source its env file"
    })?;
    Ok([
        Contender {
            name: "ours",
            plugin_dir: ours,
        },
        Contender {
            name: "official",
            plugin_dir: PathBuf::from(official),
        },
    ])
}

fn main() -> Result<(), Failure> {
    let sizes: Vec<usize> = setting("SIDE_BY_SIDE_SIZES", "1,10,30".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rounds: usize = setting("SIDE_BY_SIDE_ROUNDS", 3);
    let builder: String = setting("SIDE_BY_SIDE_BUILDER", "dbt-remote-a".to_owned());
    let contenders = contenders()?;
    let work = tempfile::tempdir()?;
    if std::env::var_os("SIDE_BY_SIDE_KEEP").is_some() {
        eprintln!("keeping {}", work.path().display());
    }
    let mut runs: BTreeMap<(usize, &str), Vec<Run>> = BTreeMap::new();
    for round in 0..rounds {
        for &images in &sizes {
            // Interleaved, each going first in turn.
            let order: Vec<&Contender> = if round % 2 == 0 {
                contenders.iter().collect()
            } else {
                contenders.iter().rev().collect()
            };
            for contender in order {
                eprintln!(
                    "round {}/{rounds}: {images} images, {}",
                    round + 1,
                    contender.name
                );
                let run = run_stack(contender, images, work.path(), &builder)?;
                runs.entry((images, contender.name)).or_default().push(run);
            }
        }
    }
    report(&runs, &sizes, rounds, &builder);
    if std::env::var_os("SIDE_BY_SIDE_KEEP").is_some() {
        let _ = work.keep();
    }
    println!();
    println!("plugin start (to the port) and exit (after SIGINT), median of 10:");
    for contender in &contenders {
        let (start, exit) = start_and_exit(
            &contender.plugin_dir.join("pulumi-resource-docker-build"),
            10,
        )?;
        println!(
            "  {:<9} start {:>6.1} ms   exit {:>6.1} ms",
            contender.name,
            ms(start),
            ms(exit)
        );
    }
    Ok(())
}

/// The table of medians and ratios, then the provider calls per method.
fn report(runs: &BTreeMap<(usize, &str), Vec<Run>>, sizes: &[usize], rounds: usize, builder: &str) {
    println!(
        "side by side through the Pulumi CLI on `{builder}`, {FILES_PER_CONTEXT} files per context, {rounds} rounds interleaved, medians:"
    );
    println!(
        "  {:>6}  {:<20} {:>8} {:>9} {:>7}   {:>17} {:>17}",
        "images", "step", "ours ms", "official", "ratio", "CPU ms: ours", "official"
    );
    for &images in sizes {
        for step in STEPS {
            let median_of = |name, pick: Steps| {
                median(
                    runs.get(&(images, name))
                        .map(|runs| {
                            runs.iter()
                                .filter_map(|r| pick(r).get(step).copied())
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            };
            let wall = |name| median_of(name, |r| &r.steps);
            let cpu = |name| {
                (
                    ms(median_of(name, |r| &r.client_cpu)),
                    ms(median_of(name, |r| &r.daemon_cpu)),
                )
            };
            let (ours, official) = (wall("ours"), wall("official"));
            let (cpu_ours, cpu_official) = (cpu("ours"), cpu("official"));
            println!(
                "  {images:>6}  {step:<20} {:>8.0} {:>9.0} {:>6.2}x   {:>8.0} ({:>6.0}) {:>8.0} ({:>6.0})",
                ms(ours),
                ms(official),
                ms(ours) / ms(official).max(0.001),
                cpu_ours.0,
                cpu_ours.1,
                cpu_official.0,
                cpu_official.1,
            );
        }
    }
    println!();
    println!(
        "provider calls, summed per method over concurrent calls (ms, medians): cold up | no-op preview"
    );
    for &images in sizes {
        for name in ["ours", "official"] {
            if let Some(runs) = runs.get(&(images, name)) {
                let line = sums(runs, |r| &r.calls_up, |r| &r.calls_preview);
                println!("  {images:>3} {name:<9} {line}");
            }
        }
    }
    println!();
    println!(
        "this provider's Create, summed per phase over its images (ms, medians): cold up | edit"
    );
    for &images in sizes {
        if let Some(runs) = runs.get(&(images, "ours")) {
            let line = sums(runs, |r| &r.phases_up, |r| &r.phases_edit);
            println!("  {images:>3} ours      {line}");
        }
    }
}

type Sums = fn(&Run) -> &BTreeMap<String, Duration>;
type Steps = fn(&Run) -> &BTreeMap<&'static str, Duration>;

/// `name a|b` per key of either map, each the median over `runs`.
fn sums(runs: &[Run], first: Sums, second: Sums) -> String {
    let keys: std::collections::BTreeSet<&String> = runs
        .iter()
        .flat_map(|r| first(r).keys().chain(second(r).keys()))
        .collect();
    let of = |pick: Sums, key: &String| {
        ms(median(
            runs.iter()
                .map(|r| pick(r).get(key).copied().unwrap_or_default())
                .collect(),
        ))
    };
    keys.into_iter()
        .map(|key| format!("{key} {:.0}|{:.0}", of(first, key), of(second, key)))
        .collect::<Vec<_>>()
        .join("  ")
}
