//! Benchmark: the registry cache's story on the real example app
//! (`examples/app`: a Python service whose dependencies are C extensions
//! compiled from source), in ECR's shape, next to raw BuildKit in the same
//! run. Prints figures; asserts nothing.
//!
//! Three builds per contender, each on an emptied engine build cache (a
//! fresh CI runner), each round in a new repository of the ECR-shaped
//! registry:
//!
//! - cold: no cache anywhere (the first build of a new stack);
//! - edit, registry cache: the service's file changed, the `:cache` tag
//!   from the cold build there;
//! - edit, no cache: the same kind of edit with the `:cache` tag deleted.
//!
//! The contenders: this provider through the real CLI (`tools/demo.py`,
//! the demo's own steps; an ECR token from moto through the AWS default
//! chain), and `docker buildx build` with the same registry cache flags
//! the provider injects (logged in through a Docker config of its own in
//! a temporary directory, as its users do). The speed-up of each is its
//! cold build over its cached edit; the seed promises 30-50x.
//!
//! Needs `scripts/test-env up` (or `demo`). Run: `cargo bench --bench
//! app_story`; `APP_STORY_ROUNDS` (default 1) rounds, medians.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docker_build::build::locate::find_buildx;

type Failure = Box<dyn std::error::Error>;

/// The three builds, in the order they run.
const BUILDS: [&str; 3] = ["cold", "edit, registry cache", "edit, no cache"];

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name)
        .map_err(|_| format!("{name} is not set: source \"$(scripts/test-env env)\"").into())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn run(command: &mut Command, what: &str) -> Result<(), Failure> {
    let output = command.stdin(Stdio::null()).output()?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

fn prune_engine_cache() -> Result<(), Failure> {
    run(
        Command::new("docker").args(["builder", "prune", "--all", "--force"]),
        "docker builder prune",
    )
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The generated Python SDK, installed as scripts/demo installs it.
fn install_sdk(work: &Path) -> Result<std::path::PathBuf, Failure> {
    let (source, site) = (work.join("sdk-source"), work.join("sdk"));
    run(
        Command::new("cp").arg("-r").arg("sdk/python").arg(&source),
        "copying sdk/python",
    )?;
    run(
        Command::new("python")
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(["--no-deps", "--no-build-isolation", "--target"])
            .arg(&site)
            .arg(&source),
        "installing the Python SDK",
    )?;
    Ok(site)
}

/// One round of this provider: the demo's first three steps, each as the
/// whole `pulumi up` and as the Image's own step (the CLI's timing).
fn ours(work: &Path, sdk: &Path, round: usize) -> Result<[[Duration; 3]; 2], Failure> {
    let figures = work.join(format!("demo-{round}.json"));
    let plugin = Path::new(env!("CARGO_BIN_EXE_pulumi-resource-docker-build"));
    run(
        Command::new("python")
            .arg("tools/demo.py")
            .args(["--registry", &env("DOCKER_BUILD_TEST_ECR_REGISTRY")?])
            .args(["--moto", &env("DOCKER_BUILD_TEST_MOTO")?])
            .arg("--sdk")
            .arg(sdk)
            .arg("--plugin")
            .arg(plugin.parent().ok_or("plugin directory")?)
            .arg("--json")
            .arg(&figures),
        "tools/demo.py",
    )?;
    let demo: serde_json::Value = serde_json::from_slice(&std::fs::read(&figures)?)?;
    let seconds = |step: usize, key: &str| {
        demo["steps"][step][key]
            .as_f64()
            .map(Duration::from_secs_f64)
            .ok_or_else(|| format!("step {} has no {key} in {}", step + 1, figures.display()))
    };
    Ok([
        [
            seconds(0, "seconds")?,
            seconds(1, "seconds")?,
            seconds(2, "seconds")?,
        ],
        [
            seconds(0, "imageSeconds")?,
            seconds(1, "imageSeconds")?,
            seconds(2, "imageSeconds")?,
        ],
    ])
}

/// A Docker config of its own holding the ECR stand-in's login, as
/// `docker login` would write it (in `work`, removed with it).
fn docker_config(work: &Path, host: &str) -> Result<std::path::PathBuf, Failure> {
    use base64::Engine as _;
    let dir = work.join("docker-config");
    std::fs::create_dir_all(&dir)?;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("AWS:{}", env("DOCKER_BUILD_TEST_ECR_PASSWORD")?));
    let config = serde_json::json!({"auths": {host: {"auth": auth}}});
    let path = dir.join("config.json");
    std::fs::write(&path, config.to_string())?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(dir)
}

/// One raw `docker buildx build` of `app`, pushed with the provider's
/// cache flags; how long it took.
fn buildx(app: &Path, config: &Path, tag: &str, cache: &str) -> Result<Duration, Failure> {
    prune_engine_cache()?;
    let started = Instant::now();
    run(
        // The plugin itself: a Docker config of its own has no plugin directory.
        Command::new(find_buildx().map_err(|_| "no docker-buildx")?)
            .env("DOCKER_CONFIG", config)
            .args(["build", "--progress", "quiet", "--provenance", "false"])
            .args(["--tag", tag, "--push"])
            .arg(format!("--cache-from=type=registry,ref={cache}"))
            .arg(format!(
                "--cache-to=type=registry,ref={cache},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true"
            ))
            .arg(app),
        "docker buildx build",
    )?;
    Ok(started.elapsed())
}

/// One round of raw BuildKit: the same three builds by hand.
fn raw(work: &Path, round: usize) -> Result<[Duration; 3], Failure> {
    let host = env("DOCKER_BUILD_TEST_ECR_REGISTRY")?;
    let app = work.join(format!("app-{round}"));
    run(
        Command::new("cp").arg("-r").arg("examples/app").arg(&app),
        "copying examples/app",
    )?;
    let config = docker_config(work, &host)?;
    let repository = format!("{host}/app-story-raw-{}", unique());
    ecr_stand_in("create_repository", &repository)?;
    let (tag, cache) = (
        format!("{repository}:latest"),
        format!("{repository}:cache"),
    );
    let greeting = app.join("greeting.txt");
    let cold = buildx(&app, &config, &tag, &cache)?;
    std::fs::write(&greeting, "Hello again from docker-build!\n")?;
    let cached = buildx(&app, &config, &tag, &cache)?;
    ecr_stand_in("delete_tag", &repository)?;
    std::fs::write(&greeting, "Hello once more from docker-build!\n")?;
    let uncached = buildx(&app, &config, &tag, &cache)?;
    Ok([cold, cached, uncached])
}

/// `call` (`create_repository` or `delete_tag`) on `<repository>` of the
/// ECR stand-in, by the demo's own `Registry` (tools/demo.py): what creating
/// or clearing a repository in a console does.
fn ecr_stand_in(call: &str, reference: &str) -> Result<(), Failure> {
    let (host, name) = reference
        .split_once('/')
        .ok_or("a repository with its host")?;
    let arguments = match call {
        "delete_tag" => "sys.argv[3], 'cache'",
        _ => "sys.argv[3]",
    };
    run(
        Command::new("python")
            .arg("-c")
            .arg(format!(
                "import sys; sys.path.insert(0, 'tools'); import demo; demo.Registry(sys.argv[1], sys.argv[2]).{call}({arguments})"
            ))
            .args([host, &env("DOCKER_BUILD_TEST_MOTO")?, name]),
        call,
    )
}

fn main() -> Result<(), Failure> {
    let rounds: usize = std::env::var("APP_STORY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let work = tempfile::tempdir()?;
    let sdk = install_sdk(work.path())?;
    let (mut ups, mut steps, mut raw_runs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let [up, step] = ours(work.path(), &sdk, round)?;
        ups.push(up);
        steps.push(step);
        raw_runs.push(raw(work.path(), round)?);
    }
    let medians = |runs: &[[Duration; 3]]| -> [Duration; 3] {
        std::array::from_fn(|i| median(runs.iter().map(|r| r[i]).collect()))
    };
    let columns = [medians(&ups), medians(&steps), medians(&raw_runs)];
    println!(
        "the example app in ECR's shape, fresh runner each build, median of {rounds} (interleaved):"
    );
    println!(
        "  {:<22} {:>16} {:>16} {:>20}",
        "", "ours: pulumi up", "ours: the Image", "docker buildx build"
    );
    for (i, build) in BUILDS.iter().enumerate() {
        let [up, step, raw] = columns.map(|column| column[i].as_secs_f64());
        println!("  {build:<22} {up:>14.1} s {step:>14.1} s {raw:>18.1} s");
    }
    let [up, step, raw] = columns.map(|column| column[0].as_secs_f64() / column[1].as_secs_f64());
    println!(
        "  {:<22} {up:>15.1}x {step:>15.1}x {raw:>19.1}x   (the seed: 30-50x)",
        "speed-up of the cache"
    );
    Ok(())
}
