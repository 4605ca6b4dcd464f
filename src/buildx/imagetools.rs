//! `docker buildx imagetools create`: joins images already in a registry
//! into one image index under one or more tags, registry to registry
//! (nothing is pulled into the engine). Used for multi-platform images built
//! one platform at a time, and by the Index resource.

use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

use super::error::BuildError;
use super::locate::{dies_with_provider, find_buildx};

/// What to join, and where.
pub struct ImagetoolsCreate<'a> {
    /// Tags for the index (at least one).
    pub tags: &'a [String],
    /// The images to join, by reference (`repo@sha256:...` or a tag).
    pub sources: &'a [String],
    /// `false` only prints the index (`--dry-run`), pushing nothing.
    pub push: bool,
    /// A private Docker config with credentials, if any.
    pub docker_config: Option<&'a Path>,
    /// The Docker engine (`DOCKER_HOST`), if not the default.
    pub host: Option<&'a str>,
    /// Cancelled when the operation must stop.
    pub cancel: CancellationToken,
}

/// The command line after the `docker-buildx` binary.
pub fn imagetools_argv(job: &ImagetoolsCreate<'_>) -> Vec<String> {
    let mut argv = vec!["imagetools".to_owned(), "create".to_owned()];
    if !job.push {
        argv.push("--dry-run".into());
    }
    for tag in job.tags {
        argv.push("--tag".into());
        argv.push(tag.clone());
    }
    argv.extend(job.sources.iter().cloned());
    argv
}

/// Runs `imagetools create`; returns what it printed on stdout (the index
/// itself with `--dry-run`).
pub async fn imagetools_create(job: ImagetoolsCreate<'_>) -> Result<String, BuildError> {
    let program = find_buildx().map_err(|searched| BuildError::BuildxMissing { searched })?;
    let mut command = dies_with_provider(&program);
    command
        .args(imagetools_argv(&job))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(config) = job.docker_config {
        super::docker_config::point_at(&mut command, config);
    }
    if let Some(host) = job.host.filter(|h| !h.is_empty()) {
        command.env("DOCKER_HOST", host);
    }
    let mut child = command.spawn().map_err(|source| BuildError::Spawn {
        program: program.clone(),
        source,
    })?;
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let finished = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        a?;
        b?;
        let status = child.wait().await?;
        Ok::<_, std::io::Error>((status, out, err))
    };
    let (status, out, err) = tokio::select! {
        biased;
        () = job.cancel.cancelled() => return Err(BuildError::Cancelled),
        result = finished => result?,
    };
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let detail = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .trim()
            .trim_start_matches("ERROR: ")
            .to_owned();
        return Err(BuildError::Imagetools { detail });
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_and_source_is_on_the_command_line() {
        let tags = ["r/app:1".to_owned(), "r/app:latest".to_owned()];
        let sources = ["r/app@sha256:aa".to_owned(), "r/app@sha256:bb".to_owned()];
        let job = ImagetoolsCreate {
            tags: &tags,
            sources: &sources,
            push: false,
            docker_config: None,
            host: None,
            cancel: CancellationToken::new(),
        };
        assert_eq!(
            imagetools_argv(&job),
            [
                "imagetools",
                "create",
                "--dry-run",
                "--tag",
                "r/app:1",
                "--tag",
                "r/app:latest",
                "r/app@sha256:aa",
                "r/app@sha256:bb"
            ]
        );
    }
}
