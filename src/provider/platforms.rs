//! Multi-platform images with the automatic cache. BuildKit exports one
//! registry cache per build, so two builds of one image for different
//! platforms (parallel CI jobs, or one multi-platform build exported to one
//! ref) overwrite each other's cache. With several `platforms`, the
//! provider therefore builds each platform on its own, with its own cache
//! (`<repository>:cache-<os>-<arch>`), pushes each under a per-platform tag
//! (`<first tag>-<os>-<arch>`: the `docker` driver cannot push by digest
//! alone), and joins them into one image index under the tags
//! (`docker buildx imagetools create`).

use tokio_util::sync::CancellationToken;

use super::{Provider, ProviderError};
use crate::buildx::BuildJob;
use crate::buildx::cache::{
    cache_plan, platform_cache_ref, platform_suffix, require_ecr_cache_format,
};
use crate::buildx::docker_config::{Credential, PrivateDockerConfig};
use crate::buildx::imagetools::{ImagetoolsCreate, imagetools_create};
use crate::buildx::{Mode, plan_build};
use crate::image::{CacheReport, Export, ImageArgs, ImageExport, ImageSpec, Reference};
use crate::registry::Presence;

/// Where one platform's image is pushed: `r/app:1` for `linux/arm64` is
/// `r/app:1-linux-arm64`.
pub fn platform_tag(first_tag: &str, platform: &str) -> Result<String, String> {
    let reference = Reference::parse(first_tag)?;
    let tag = reference.tag.as_deref().unwrap_or("latest");
    Ok(format!(
        "{}:{tag}-{}",
        reference.repository(),
        platform_suffix(platform)
    ))
}

/// The build of one platform of `spec`, pushed as `pushed` only.
fn one_platform(spec: &ImageSpec, platform: &str, pushed: &str) -> ImageSpec {
    let mut one = spec.clone();
    one.args.platforms = vec![platform.to_owned()];
    one.args.tags = Vec::new();
    one.args.push = false;
    one.tags = Vec::new();
    one.exports = vec![Export::Registry(ImageExport {
        names: vec![pushed.to_owned()],
        push: Some(true),
        ..ImageExport::default()
    })];
    one
}

/// Warns when the user's own registry cache would be shared by several
/// platforms' builds.
pub fn warn_about_shared_cache(args: &ImageArgs, exports: &[String]) {
    if args.platforms.len() < 2 || exports.is_empty() {
        return;
    }
    tracing::warn!(
        "{} receives the build cache of {} platforms at once: builds of single platforms (parallel CI jobs) overwrite each other there. Give each platform its own cache ref (one Image per platform, joined by an Index), or leave cacheFrom/cacheTo unset to get per-platform refs automatically",
        exports.join(", "),
        args.platforms.len()
    );
}

/// What one platform's build produced.
struct PlatformBuild {
    /// `<platform tag>@<digest>`, a source of the index.
    source: String,
    /// Whether its cache existed or was imported.
    cache_found: bool,
    /// Steps from the cache, and in all.
    steps: (u32, u32),
}

/// Shared by the platforms' builds of one image.
struct PlatformContext<'a> {
    spec: &'a ImageSpec,
    automatic: &'a str,
    credentials: &'a [Credential],
    docker_config: Option<&'a std::path::Path>,
    host: Option<&'a str>,
    workdir: &'a std::path::Path,
    token: &'a CancellationToken,
}

impl Provider {
    /// Builds every platform of `spec` on its own, all at once (within
    /// `maxParallelBuilds`), each with its own cache, and joins the results
    /// under the tags. The first platform to fail stops the others (their
    /// buildx is killed) and names itself in the error. Returns the index
    /// digest and a cache report summing the platforms' steps.
    pub(super) async fn build_per_platform(
        &self,
        spec: &ImageSpec,
        automatic: &str,
        credentials: &[Credential],
        token: &CancellationToken,
    ) -> Result<(String, CacheReport), ProviderError> {
        let args = &spec.args;
        let config = self.config();
        let workdir = super::lifecycle::build_workdir()?;
        let docker_config = super::registries::private_docker_config(credentials)?;
        let shared = PlatformContext {
            spec,
            automatic,
            credentials,
            docker_config: docker_config.as_ref().map(PrivateDockerConfig::path),
            host: config.engine_host(),
            workdir: workdir.path(),
            token,
        };
        let builds = args
            .platforms
            .iter()
            .enumerate()
            .map(|(i, platform)| self.build_platform(&shared, i, platform));
        let built = futures_util::future::try_join_all(builds).await?;
        let report = CacheReport {
            reference: Some(platform_cache_ref(automatic, &args.platforms[0])),
            found: built.iter().all(|b| b.cache_found),
            cached_steps: built.iter().map(|b| b.steps.0).sum(),
            total_steps: built.iter().map(|b| b.steps.1).sum(),
        };
        let sources: Vec<String> = built.into_iter().map(|b| b.source).collect();
        imagetools_create(ImagetoolsCreate {
            tags: &args.tags,
            sources: &sources,
            push: true,
            docker_config: shared.docker_config,
            host: shared.host,
            cancel: token.clone(),
        })
        .await?;
        match self.registry.head(&args.tags[0], credentials).await {
            Presence::Found(Some(digest)) => Ok((digest, report)),
            other => Err(ProviderError::Registry(format!(
                "the image index was pushed to {}, but its digest could not be read back: {other:?}",
                args.tags[0]
            ))),
        }
    }

    /// One platform's build, pushed under its own tag; its progress lines
    /// and its error name the platform.
    async fn build_platform(
        &self,
        shared: &PlatformContext<'_>,
        index: usize,
        platform: &str,
    ) -> Result<PlatformBuild, ProviderError> {
        let named = |error: ProviderError| match error {
            ProviderError::Cancelled => ProviderError::Cancelled,
            other => ProviderError::Platform {
                platform: platform.to_owned(),
                error: Box::new(other),
            },
        };
        let cache_ref = platform_cache_ref(shared.automatic, platform);
        // The user's tags go on the index; each platform is pushed under a
        // tag of its own.
        let pushed = platform_tag(&shared.spec.args.tags[0], platform)
            .map_err(ProviderError::Registry)
            .map_err(named)?;
        let one = one_platform(shared.spec, platform, &pushed);
        let mut cache = cache_plan(&one, Some(&cache_ref));
        require_ecr_cache_format(&mut cache);
        let found = self
            .preflight(&mut cache, shared.credentials, Mode::Deploy)
            .await;
        let metadata = shared.workdir.join(format!("metadata-{index}.json"));
        let plan = plan_build(&one, &cache, Mode::Deploy, &metadata);
        let on_status = |line: &str| tracing::info!(status = true, "[{platform}] {line}");
        let job = || BuildJob {
            plan: &plan,
            docker_config: shared.docker_config,
            host: shared.host,
            cwd: self.base(),
            cancel: shared.token.clone(),
            on_status: &on_status,
        };
        let outcome = match self.run_build(job()).await {
            // The platforms push into one repository at once; a layer they
            // share may still be uploading for another platform when this
            // one's manifest arrives. Pushing again (from the builder's
            // cache) is all it takes.
            Err(ProviderError::Build(error)) if error.is_manifest_refused_mid_push() => {
                tracing::info!(
                    status = true,
                    "[{platform}] the registry refused the manifest while another platform was still pushing a shared layer; pushing again"
                );
                self.run_build(job()).await
            }
            other => other,
        }
        .map_err(named)?;
        let digest = outcome.digest().ok_or_else(|| {
            named(ProviderError::Internal(
                "the build reported no digest".into(),
            ))
        })?;
        let steps = outcome.log.step_counts();
        tracing::info!(
            "{platform}: {} of {} steps from the cache at {cache_ref}; pushed {pushed}@{digest}",
            steps.0,
            steps.1
        );
        Ok(PlatformBuild {
            source: format!("{pushed}@{digest}"),
            cache_found: found.contains(&cache_ref) || outcome.log.imported(&cache_ref),
            steps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_gets_its_own_tag() {
        assert_eq!(
            platform_tag("127.0.0.1:5000/app:1", "plan9/386").unwrap(),
            "127.0.0.1:5000/app:1-plan9-386"
        );
        assert_eq!(
            platform_tag("r.example/app", "linux/amd64").unwrap(),
            "r.example/app:latest-linux-amd64"
        );
    }

    #[test]
    fn each_platform_gets_its_own_cache_ref() {
        assert_eq!(
            platform_cache_ref("r.example/app:cache", "linux/arm64"),
            "r.example/app:cache-linux-arm64"
        );
        assert_eq!(
            platform_cache_ref("127.0.0.1:5000/app:cache", "linux/arm/v7"),
            "127.0.0.1:5000/app:cache-linux-arm-v7"
        );
    }
}
