//! Benchmark: what handing a build to buildx as a bake definition on
//! stdin costs against a plain `buildx build` command line. The provider
//! uses bake only for builds whose cache entries carry a secret (which no
//! command line may hold); this measures whether that could be every
//! build. The same small, fully cached build runs `ROUNDS` times each way,
//! alternating; prints the median of each and their ratio; asserts
//! nothing.
//!
//! Needs the Docker engine of `scripts/test-env up` (with `busybox:local`).
//! Run: `cargo bench --bench bake`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::buildx::locate::find_buildx;

const ROUNDS: usize = 15;

type Failure = Box<dyn std::error::Error>;

/// One run of buildx with `args`, `stdin` written to it; its wall time.
fn timed(
    buildx: &Path,
    dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<Duration, Failure> {
    let started = Instant::now();
    let mut child = Command::new(buildx)
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("buildx {args:?} failed: {status}").into());
    }
    Ok(started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Failure> {
    let buildx = find_buildx().map_err(|_| "no docker-buildx: run scripts/test-env up")?;
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM busybox:local\nARG N=1\nRUN echo bake-bench $N > /out\n",
    )?;
    let context = dir.path().to_string_lossy().into_owned();
    let build_args = [
        "build",
        "--progress",
        "rawjson",
        "--provenance",
        "false",
        "--build-arg",
        "N=1",
        "--tag",
        "bake-bench:1",
        &context,
    ];
    let definition = serde_json::json!({"target": {"image": {
        "context": context, "dockerfile": format!("{context}/Dockerfile"),
        "args": {"N": "1"}, "tags": ["bake-bench:1"],
    }}})
    .to_string();
    let bake_args = [
        "bake",
        "--progress",
        "rawjson",
        "--provenance",
        "false",
        "--file",
        "-",
        "image",
    ];
    // Warm the cache both ways.
    timed(&buildx, dir.path(), &build_args, None)?;
    timed(&buildx, dir.path(), &bake_args, Some(&definition))?;
    let (mut build, mut bake) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        build.push(timed(&buildx, dir.path(), &build_args, None)?);
        bake.push(timed(&buildx, dir.path(), &bake_args, Some(&definition))?);
    }
    let (build, bake) = (median(build), median(bake));
    println!(
        "cached build, median of {ROUNDS}: buildx build {} ms, bake -f - {} ms ({:.2}x)",
        build.as_millis(),
        bake.as_millis(),
        bake.as_secs_f64() / build.as_secs_f64()
    );
    Ok(())
}
