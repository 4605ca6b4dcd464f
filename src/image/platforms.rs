//! Multi-platform images with the automatic cache. BuildKit exports one
//! registry cache per build, so two builds of one image for different
//! platforms (parallel CI jobs, or one multi-platform build exported to one
//! ref) overwrite each other's cache. With several `platforms`, the
//! provider therefore builds each platform on its own, with its own cache
//! (`<repository>:cache-<os>-<arch>`), pushes each under a per-platform tag
//! (`<first tag>-<os>-<arch>`: the `docker` driver cannot push by digest
//! alone), and joins them into one image index under the tags
//! (manifest PUTs, `registry::JoinJob`). The platforms build at once and
//! push into one repository, so a layer they share can race: a manifest
//! the registry refuses is pushed again, and a cache export that did not
//! arrive is run again once the others are done.

use tokio_util::sync::CancellationToken;

use super::ImageOps;
use crate::build::BuildJob;
use crate::build::{BuildOutcome, BuildRequest, Mode};
use crate::credential::Credential;
use crate::image::build_request;
use crate::image::cache_policy::{
    cache_plan, platform_cache_ref, platform_suffix, require_ecr_cache_format,
};
use crate::image::{CacheReport, ImageArgs, ImageSpec};
use crate::model::Reference;
use crate::model::cache::CacheTo;
use crate::model::export::Export;
use crate::model::export::ImageExport;
use crate::model::reference::names;
use crate::provider::ProviderError;
use crate::registry::{JoinJob, Presence};
use crate::timings::timed;

/// Where one platform's image is pushed: `r/app:1` for `linux/arm64` is
/// `r/app:1-linux-arm64`.
pub fn platform_tag(first_tag: &Reference, platform: &str) -> Reference {
    let tag = first_tag.tag.as_deref().unwrap_or("latest");
    first_tag
        .qualified()
        .tagged(&format!("{tag}-{}", platform_suffix(platform)))
}

/// The build of one platform of `spec`, pushed as `pushed` only.
fn one_platform(spec: &ImageSpec, platform: &str, pushed: &Reference) -> ImageSpec {
    let mut one = spec.clone();
    one.args.platforms = vec![platform.to_owned()];
    one.args.tags = Vec::new();
    one.args.push = false;
    one.tags = Vec::new();
    one.exports = vec![Export::Registry(ImageExport {
        names: vec![pushed.to_string()],
        push: Some(true),
        ..ImageExport::default()
    })];
    one.export_names = vec![pushed.clone()];
    one
}

/// Warns when the user's own registry cache would be shared by several
/// platforms' builds.
pub fn warn_about_shared_cache(args: &ImageArgs, exports: &[Reference]) {
    if args.platforms.len() < 2 || exports.is_empty() {
        return;
    }
    tracing::warn!(
        "{} receives the build cache of {} platforms at once: builds of single platforms (parallel CI jobs) overwrite each other there. Give each platform its own cache ref (one Image per platform, joined by an Index), or leave cacheFrom/cacheTo unset to get per-platform refs automatically",
        names(exports, ", "),
        args.platforms.len()
    );
}

/// What one platform's build produced.
struct PlatformBuild {
    /// The platform, as given.
    platform: String,
    /// The build it ran, to run again if its cache did not arrive.
    request: BuildRequest,
    /// The same, for buildx.
    /// Its cache ref, when the build exports a cache there.
    exported_cache: Option<Reference>,
    /// `<platform tag>@<digest>`, a source of the index.
    source: Reference,
    /// Whether its cache existed or was imported.
    cache_found: bool,
    /// Steps from the cache, and in all.
    steps: (u32, u32),
}

/// Every platform of an image pushed under its own tag, and the outcome of
/// joining them under the image's tags.
pub(super) struct PlatformsPushed {
    /// The platforms' cache report, summed.
    pub report: CacheReport,
    /// The index digest, or why the join failed.
    pub joined: Result<String, ProviderError>,
}

/// Shared by the platforms' builds of one image.
struct PlatformContext<'a> {
    spec: &'a ImageSpec,
    automatic: &'a Reference,
    credentials: &'a [Credential],
    host: Option<&'a str>,
    token: &'a CancellationToken,
}

impl ImageOps<'_> {
    /// Builds every platform of `spec` on its own, all at once (within
    /// `maxParallelBuilds`), each with its own cache, and joins the results
    /// under the tags. The first platform to fail stops the others (their
    /// build is stopped) and names itself in the error. Once every
    /// platform is pushed, what remains (the join) can fail on its own:
    /// the answer then still carries the cache report, so the caller can
    /// record what was pushed.
    pub(super) async fn build_per_platform(
        &self,
        spec: &ImageSpec,
        automatic: &Reference,
        credentials: &[Credential],
        token: &CancellationToken,
    ) -> Result<PlatformsPushed, ProviderError> {
        let args = &spec.args;
        let config = self.provider.config();
        let shared = PlatformContext {
            spec,
            automatic,
            credentials,
            host: config.engine_host(),
            token,
        };
        let builds = args
            .platforms
            .iter()
            .map(|platform| self.build_platform(&shared, platform));
        let built = futures_util::future::try_join_all(builds).await?;
        for build in &built {
            self.export_missing_cache(&shared, build).await;
        }
        let report = CacheReport {
            reference: Some(platform_cache_ref(automatic, &args.platforms[0]).to_string()),
            found: built.iter().all(|b| b.cache_found),
            cached_steps: built.iter().map(|b| b.steps.0).sum(),
            total_steps: built.iter().map(|b| b.steps.1).sum(),
        };
        let sources: Vec<Reference> = built.into_iter().map(|b| b.source).collect();
        let joined = self.join_platforms(&shared, &sources).await;
        Ok(PlatformsPushed { report, joined })
    }

    /// Joins the pushed platforms into one index under the tags; its digest.
    async fn join_platforms(
        &self,
        shared: &PlatformContext<'_>,
        sources: &[Reference],
    ) -> Result<String, ProviderError> {
        let tags = &shared.spec.tags;
        let join = self.provider.registry().join(JoinJob {
            tags,
            sources,
            push: true,
            credentials: shared.credentials,
        });
        let joined = tokio::select! {
            biased;
            () = shared.token.cancelled() => return Err(ProviderError::Cancelled),
            joined = timed("join", join) => joined,
        };
        joined
            .map(|joined| joined.digest)
            .map_err(|error| ProviderError::Join {
                what: "image index",
                tag: tags[0].to_string(),
                sources: names(sources, ", "),
                error,
            })
    }

    /// One platform's build, pushed under its own tag; its progress lines
    /// and its error name the platform.
    async fn build_platform(
        &self,
        shared: &PlatformContext<'_>,
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
        let pushed = platform_tag(&shared.spec.tags[0], platform);
        let one = one_platform(shared.spec, platform, &pushed);
        let mut cache = cache_plan(&one, Some(&cache_ref));
        require_ecr_cache_format(&mut cache);
        let found = self
            .preflight(&mut cache, shared.credentials, Mode::Deploy)
            .await;
        let request = build_request(&one, &cache, Mode::Deploy);
        let outcome = self
            .run_platform_pushing_again(shared, platform, &request)
            .await
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
        let exported = cache
            .exports
            .iter()
            .any(|export| matches!(export, CacheTo::Registry(r) if r.reference == cache_ref));
        let exported_cache = exported.then(|| cache_ref.clone());
        Ok(PlatformBuild {
            platform: platform.to_owned(),
            request,
            exported_cache,
            source: pushed.pinned(digest),
            cache_found: found.contains(&cache_ref) || outcome.log.imported(&cache_ref),
            steps,
        })
    }

    /// A platform's build, run again when the registry refused its
    /// manifest mid-push: the platforms push into one repository at once,
    /// and a layer they share may still be uploading for another platform
    /// when this one's manifest arrives. Pushing again (from the builder's
    /// cache) is all it takes.
    async fn run_platform_pushing_again(
        &self,
        shared: &PlatformContext<'_>,
        platform: &str,
        request: &BuildRequest,
    ) -> Result<BuildOutcome, ProviderError> {
        let build = request;
        match self.run_platform_build(shared, platform, build).await {
            Err(ProviderError::Build(error)) if error.is_manifest_refused_mid_push() => {
                tracing::info!(
                    status = true,
                    "[{platform}] the registry refused the manifest while another platform was still pushing a shared layer; pushing again"
                );
                self.run_platform_build(shared, platform, build).await
            }
            other => other,
        }
    }

    /// One run of a platform's build, its progress lines named.
    async fn run_platform_build(
        &self,
        shared: &PlatformContext<'_>,
        platform: &str,
        request: &BuildRequest,
    ) -> Result<crate::build::BuildOutcome, ProviderError> {
        let on_status = |line: &str| tracing::info!(status = true, "[{platform}] {line}");
        self.provider
            .run_build(BuildJob {
                request,
                credentials: shared.credentials,
                host: shared.host,
                cwd: self.provider.base(),
                cancel: shared.token.clone(),
                on_status: &on_status,
            })
            .await
    }

    /// A platform's cache export that did not reach the registry is run
    /// again, now that no other platform is pushing. BuildKit drops a
    /// failed cache export silently (`ignore-error`), and concurrent
    /// platforms sharing a layer can make the registry refuse one (see
    /// `run_platform_build`'s caller). The run comes from the builder's
    /// cache; if it still fails, the image stands and the next build
    /// starts without that platform's cache, as a first build would.
    async fn export_missing_cache(&self, shared: &PlatformContext<'_>, build: &PlatformBuild) {
        let Some(cache_ref) = &build.exported_cache else {
            return;
        };
        let read_back = self.provider.registry().head(cache_ref, shared.credentials);
        if !matches!(timed("read-back", read_back).await, Presence::Missing) {
            return;
        }
        let platform = &build.platform;
        tracing::info!(
            status = true,
            "[{platform}] its cache did not reach {cache_ref} (another platform was pushing a shared layer); exporting it again"
        );
        if let Err(error) = self
            .run_platform_build(shared, platform, &build.request)
            .await
        {
            tracing::warn!("{platform}: the cache at {cache_ref} could not be exported: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::Fakes;

    /// How many builds `export_missing_cache` runs for a platform whose
    /// cache the registry reports as `presence`.
    async fn builds_after_export_check(presence: Presence, exported: bool) -> usize {
        let fakes = Fakes::default();
        fakes.registry.answering(presence);
        let dir = tempfile::tempdir().unwrap();
        let provider = fakes.provider(dir.path());
        let args: ImageArgs = serde_json::from_value(serde_json::json!({
            "push": true, "tags": ["r.example/app:1"], "platforms": ["plan9/amd64", "plan9/386"]
        }))
        .unwrap();
        let spec = ImageSpec::parse(&args).unwrap();
        let token = CancellationToken::new();
        let automatic = Reference::parse("r.example/app:cache").unwrap();
        let shared = PlatformContext {
            spec: &spec,
            automatic: &automatic,
            credentials: &[],
            host: None,
            token: &token,
        };
        let request = crate::image::build_request::build_request(
            &spec,
            &crate::build::CachePlan::default(),
            Mode::Deploy,
        );
        let build = PlatformBuild {
            platform: "plan9/386".into(),
            request,
            exported_cache: exported
                .then(|| Reference::parse("r.example/app:cache-plan9-386").unwrap()),
            source: Reference::parse("r.example/app:1-plan9-386")
                .unwrap()
                .pinned("sha256:1"),
            cache_found: false,
            steps: (0, 1),
        };
        ImageOps {
            provider: &provider,
        }
        .export_missing_cache(&shared, &build)
        .await;
        let asked = fakes.registry.heads();
        assert_eq!(asked.len(), usize::from(exported), "{asked:?}");
        fakes.builder.calls().len()
    }

    #[tokio::test]
    async fn a_platform_cache_missing_after_the_builds_is_exported_again() {
        assert_eq!(builds_after_export_check(Presence::Missing, true).await, 1);
        // There, or unknown (the registry did not say): nothing runs again.
        let found = Presence::Found(None);
        assert_eq!(builds_after_export_check(found, true).await, 0);
        let unknown = Presence::Unknown("401".into());
        assert_eq!(builds_after_export_check(unknown, true).await, 0);
        // A build that exports no cache there has nothing to repair.
        assert_eq!(builds_after_export_check(Presence::Missing, false).await, 0);
    }

    #[test]
    fn each_platform_gets_its_own_tag() {
        assert_eq!(
            platform_tag(
                &Reference::parse("127.0.0.1:5000/app:1").unwrap(),
                "plan9/386"
            )
            .to_string(),
            "127.0.0.1:5000/app:1-plan9-386"
        );
        assert_eq!(
            platform_tag(&Reference::parse("r.example/app").unwrap(), "linux/amd64").to_string(),
            "r.example/app:latest-linux-amd64"
        );
    }

    #[test]
    fn each_platform_gets_its_own_cache_ref() {
        let cache_ref = |automatic: &str, platform: &str| {
            platform_cache_ref(&Reference::parse(automatic).unwrap(), platform).to_string()
        };
        assert_eq!(
            cache_ref("r.example/app:cache", "linux/arm64"),
            "r.example/app:cache-linux-arm64"
        );
        assert_eq!(
            cache_ref("127.0.0.1:5000/app:cache", "linux/arm/v7"),
            "127.0.0.1:5000/app:cache-linux-arm-v7"
        );
    }
}
