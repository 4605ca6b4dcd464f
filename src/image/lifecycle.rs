//! The Image behind the [`Resource`] seam, whole: Check and Diff over its
//! inputs, Create and Update (the build with its caches; several platforms
//! in `platforms`), Read (refreshing pushed tags) and Delete (removing
//! pushed digests). What these share lives beside them: the logins
//! (`credentials`), the cache preflight (`preflight`), the context hash
//! (`hash`).
//!
//! Invariant: these return either a complete new state or an error that
//! leaves the old state in force; nothing is half-written.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::outputs::{BuildOutputs, mark_secrets, state_map};
use super::platforms::PlatformsPushed;
use crate::build::{BuildError, BuildJob, CachePlan, Mode};
use crate::credential::Credential;
use crate::image::cache_policy::{CachePolicy, cache_policy, registry_exports, registry_imports};
use crate::image::{
    CacheReport, ImageOps, ImageSpec, Inputs, NewHash, build_request, check_image, checked_spec,
    decode_state, diff_image, missing_export_destinations, note_missing_exports,
};
use crate::model::{Reference, ResourceDiff, reference};
use crate::provider::{
    CheckedInputs, Created, Provider, ProviderError, Refreshed, Resource, warn_about_url_addresses,
};
use crate::registry::{Deletion, Presence, tagged_elsewhere};
use crate::timings::timed;
use crate::wire::{PropertyMap, Value};

/// `docker-build:index:Image`.
pub struct ImageResource;

/// The one Image resource.
pub static IMAGE: ImageResource = ImageResource;

impl Resource for ImageResource {
    fn check(&self, provider: &Provider, news: &PropertyMap) -> CheckedInputs {
        let checked = check_image(news, provider.base());
        if let Some(spec) = &checked.spec {
            warn_about_url_addresses("registries", &spec.args.registries);
        }
        CheckedInputs {
            inputs: checked.inputs,
            failures: checked.failures,
        }
    }

    fn diff<'a>(
        &'a self,
        provider: &'a Provider,
        olds: &'a PropertyMap,
        news: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<ResourceDiff, ProviderError>> {
        Box::pin(async move { ImageOps { provider }.diff(olds, news).await })
    }

    fn create<'a>(
        &'a self,
        provider: &'a Provider,
        name: &'a str,
        properties: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let token = provider.token_with_timeout(timeout);
            ImageOps { provider }
                .create(name, properties, preview, &token)
                .await
        })
    }

    fn read<'a>(
        &'a self,
        provider: &'a Provider,
        id: &'a str,
        state: &'a PropertyMap,
        inputs: Option<&'a PropertyMap>,
    ) -> BoxFuture<'a, Result<Refreshed, ProviderError>> {
        Box::pin(async move { ImageOps { provider }.read(id, state, inputs).await })
    }

    fn update<'a>(
        &'a self,
        provider: &'a Provider,
        news: &'a PropertyMap,
        preview: bool,
        timeout: Option<Duration>,
    ) -> BoxFuture<'a, Result<PropertyMap, ProviderError>> {
        // Nothing old is deleted: the old digest may still be in use, and
        // tags simply move.
        Box::pin(async move {
            let token = provider.token_with_timeout(timeout);
            let ops = ImageOps { provider };
            Ok(timed("update", ops.build_image(news, preview, &token))
                .await?
                .1)
        })
    }

    fn delete<'a>(
        &'a self,
        provider: &'a Provider,
        state: &'a PropertyMap,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { ImageOps { provider }.delete(state).await })
    }
}

impl ImageOps<'_> {
    /// Diff: what changed between the stored state and the new inputs.
    async fn diff(
        &self,
        olds: &PropertyMap,
        news: &PropertyMap,
    ) -> Result<ResourceDiff, ProviderError> {
        let old = decode_state(olds).map_err(ProviderError::InvalidState)?;
        let new = Inputs::decode(news)?;
        let hash = match self.new_hash(&new).await {
            Ok(NewHash::Known(ours)) if ours != old.context_hash => {
                self.recognise_official(&old.context_hash, ours, &new)
                    .await?
            }
            Ok(hash) => hash,
            // A context that cannot be read is a change to report, not a
            // reason to fail the whole preview; the build will say why.
            Err(ProviderError::Hash(e)) => {
                tracing::warn!("{e}; the image will be rebuilt");
                NewHash::Unknown
            }
            Err(e) => return Err(e),
        };
        let mut diff = diff_image(&old, &new, &hash);
        note_missing_exports(
            &mut diff,
            &missing_export_destinations(new.args(), self.provider.base()),
        );
        Ok(diff)
    }

    /// Create: build (and push) the image.
    async fn create(
        &self,
        name: &str,
        properties: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<Created, ProviderError> {
        let (digest, state) = timed("create", self.build_image(properties, preview, token))
            .await
            .map_err(|error| match error {
                // Recorded under the resource's name until it has a digest.
                ProviderError::Incomplete { state, error, .. } => ProviderError::Incomplete {
                    id: name.to_owned(),
                    state,
                    error,
                },
                other => other,
            })?;
        let id = if digest.is_empty() {
            name.to_owned()
        } else {
            digest
        };
        Ok(Created { id, state })
    }

    /// Parses, hashes and builds an Image: its digest and state. A preview
    /// builds (unless `buildOnPreview` is false) but pushes nothing.
    async fn build_image(
        &self,
        properties: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<(String, PropertyMap), ProviderError> {
        let inputs = Inputs::decode(properties)?;
        let mode = if preview { Mode::Preview } else { Mode::Deploy };
        let Some(args) = inputs.known() else {
            if !preview {
                return Err(ProviderError::Internal(
                    "inputs are still unknown outside a preview".into(),
                ));
            }
            tracing::warn!("skipping the preview build: some inputs are not known yet");
            return Ok((String::new(), preview_state(properties, None)));
        };
        let spec =
            checked_spec(args, self.provider.base()).map_err(ProviderError::InvalidInputs)?;
        let hash = match timed("hash", self.new_hash(&inputs)).await? {
            NewHash::Known(hash) => hash,
            // `new_hash` never answers OfficialMatch; only Diff compares.
            NewHash::Unknown | NewHash::OfficialMatch => String::new(),
        };
        if preview && !args.build_on_preview() {
            return Ok((String::new(), preview_state(properties, Some(hash))));
        }
        if !args.exports_anything() {
            tracing::warn!(
                "nothing exports this image (no `push`, `load` or `exports`): the result stays in the build cache only"
            );
        }
        let mut policy = cache_policy(&spec, self.provider.config().auto_cache, mode);
        let credentials = timed(
            "credentials",
            self.build_credentials(&spec, &policy.plan, mode),
        )
        .await?;
        if let Some(automatic) = policy.automatic.clone().filter(|_| policy.per_platform) {
            let pushed = self
                .build_per_platform(&spec, &automatic, &credentials, token)
                .await?;
            return joined_state(properties, &spec, hash, pushed);
        }
        let (digest, cache_report) = self
            .build_single(&spec, &mut policy, &credentials, mode, token)
            .await?;
        if preview {
            return Ok((String::new(), preview_state(properties, Some(hash))));
        }
        let outputs = BuildOutputs {
            digest: digest.clone(),
            reference: pinned_ref(&spec.tags, &digest),
            context_hash: hash,
            cache_report,
        };
        Ok((digest, state_map(properties, &outputs)))
    }

    /// One build of every platform at once, after asking the registry
    /// which cache imports exist: the digest, and what the cache did.
    async fn build_single(
        &self,
        spec: &ImageSpec,
        policy: &mut CachePolicy,
        credentials: &[Credential],
        mode: Mode,
        token: &CancellationToken,
    ) -> Result<(String, Option<CacheReport>), ProviderError> {
        super::platforms::warn_about_shared_cache(&spec.args, &registry_exports(&policy.plan));
        let wanted_imports = registry_imports(&policy.plan);
        let found = timed(
            "cache preflight",
            self.preflight(&mut policy.plan, credentials, mode),
        )
        .await;
        let outcome = self
            .build_once(spec, policy, credentials, mode, token)
            .await?;
        report_build_log(&outcome, &policy.plan, mode, spec.args.push);
        let (cached_steps, total_steps) = outcome.log.step_counts();
        let cache_report = wanted_imports.first().map(|reference| CacheReport {
            reference: Some(reference.to_string()),
            found: found.contains(reference) || outcome.log.imported(reference),
            cached_steps,
            total_steps,
        });
        let digest = outcome.digest().unwrap_or_default().to_owned();
        Ok((digest, cache_report))
    }

    /// Runs one build of `spec` with the policy's caches. A builder
    /// that cannot export a cache costs the automatic cache (ours, not the
    /// user's), never the deploy: the build runs again without it.
    async fn build_once(
        &self,
        spec: &ImageSpec,
        policy: &mut CachePolicy,
        credentials: &[Credential],
        mode: Mode,
        token: &CancellationToken,
    ) -> Result<crate::build::BuildOutcome, ProviderError> {
        let on_status = |line: &str| tracing::info!(status = true, "{line}");
        let config = self.provider.config();
        let job = |request| BuildJob {
            request,
            credentials,
            host: config.engine_host(),
            cwd: self.provider.base(),
            cancel: token.clone(),
            on_status: &on_status,
        };
        let request = build_request(spec, &policy.plan, mode);
        let mut attempt = self.provider.run_build(job(&request)).await;
        if policy.automatic.is_some()
            && matches!(
                attempt,
                Err(ProviderError::Build(
                    BuildError::CacheExportUnsupported { .. }
                ))
            )
        {
            tracing::warn!(
                "this builder cannot export a build cache (the Docker engine's `docker` driver without the containerd image store): building without the automatic cache. To keep one, enable the containerd image store (\"features\": {{\"containerd-snapshotter\": true}} in daemon.json) or name a docker-container or remote builder in `builder.name`; `autoCache: false` turns this warning off"
            );
            policy.plan.exports.clear();
            let request = build_request(spec, &policy.plan, mode);
            attempt = self.provider.run_build(job(&request)).await;
        }
        if let Err(ProviderError::Build(BuildError::Failed { transcript, .. })) = &attempt {
            // The whole log stays with the deployment, not only the
            // failing step carried by the error.
            tracing::info!("build log:\n{transcript}");
        }
        attempt
    }

    /// Read: check each pushed tag still has the digest. A 404 drops the
    /// tag (none left: the image is gone); any other failure keeps the
    /// state as it was, with a warning.
    async fn read(
        &self,
        id: &str,
        state: &PropertyMap,
        inputs: Option<&PropertyMap>,
    ) -> Result<Refreshed, ProviderError> {
        let unchanged = || Refreshed {
            id: id.to_owned(),
            state: state.clone(),
            inputs: inputs.cloned(),
        };
        let stored = decode_state(state).map_err(ProviderError::InvalidState)?;
        let spec = ImageSpec::parse(&stored.args).map_err(ProviderError::InvalidStoredState)?;
        if stored.digest.is_empty() || !spec.pushes() || spec.tags.is_empty() {
            return Ok(unchanged());
        }
        let credentials = match self.stored_credentials(&spec).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(
                    "could not get registry credentials ({error}); leaving the state unchanged"
                );
                return Ok(unchanged());
            }
        };
        let Some(surviving) = self
            .surviving_tags(&spec, &stored.digest, &credentials)
            .await
        else {
            return Ok(unchanged());
        };
        if surviving.is_empty() {
            return Ok(Refreshed {
                id: String::new(),
                state: state.clone(),
                inputs: inputs.cloned(),
            });
        }
        let retag = |map: &PropertyMap| {
            let mut map = map.clone();
            if surviving.len() != stored.args.tags.len() {
                map.insert(
                    "tags".into(),
                    Value::Array(surviving.iter().cloned().map(Value::String).collect()),
                );
            }
            map
        };
        Ok(Refreshed {
            id: id.to_owned(),
            state: retag(state),
            inputs: inputs.map(retag),
        })
    }

    /// The tags of `spec` that still hold `digest`; `None` when the
    /// registry could not say for one of them (the state then stays).
    async fn surviving_tags(
        &self,
        spec: &ImageSpec,
        digest: &str,
        credentials: &[Credential],
    ) -> Option<Vec<String>> {
        let mut surviving = Vec::new();
        for (tag, parsed) in spec.args.tags.iter().zip(&spec.tags) {
            let pinned = parsed.qualified().pinned(digest);
            match self.provider.registry().head(&pinned, credentials).await {
                Presence::Found(_) => surviving.push(tag.clone()),
                Presence::Missing => tracing::warn!(
                    "{tag} no longer holds {digest} in the registry; dropping it from the state"
                ),
                Presence::Unknown(why) => {
                    tracing::warn!(
                        "could not verify {tag} in the registry ({why}); leaving the state unchanged"
                    );
                    return None;
                }
            }
        }
        Some(surviving)
    }

    /// Delete: remove the pushed digest from each tag's repository, best
    /// effort. The registry cache is never touched.
    async fn delete(&self, state: &PropertyMap) -> Result<(), ProviderError> {
        let stored = decode_state(state).map_err(ProviderError::InvalidState)?;
        if stored.digest.is_empty() {
            return Ok(());
        }
        let spec = match ImageSpec::parse(&stored.args) {
            Ok(spec) => spec,
            Err(failures) => {
                let why = ProviderError::InvalidStoredState(failures);
                tracing::warn!("{why}; {} stays in the registry", stored.digest);
                return Ok(());
            }
        };
        let credentials = match self.stored_credentials(&spec).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(
                    "could not get registry credentials ({error}); the pushed image stays in the registry"
                );
                return Ok(());
            }
        };
        let pinned: BTreeSet<Reference> = spec
            .tags
            .iter()
            .map(|tag| tag.qualified().pinned(&stored.digest))
            .collect();
        let own: BTreeSet<String> = spec.tags.iter().filter_map(|r| r.tag.clone()).collect();
        let registry = self.provider.registry();
        for reference in pinned {
            let others = tagged_elsewhere(registry, &reference, &own, &credentials).await;
            if !others.is_empty() {
                tracing::info!(
                    "not deleting {reference}: it is also tagged {}, which would go with it",
                    others.join(", ")
                );
                continue;
            }
            match registry.delete(&reference, &credentials).await {
                Deletion::Deleted => tracing::info!("deleted {reference}"),
                Deletion::AlreadyGone => tracing::debug!("{reference} was already gone"),
                Deletion::Failed(why) => {
                    tracing::warn!("could not delete {reference} ({why}); it stays in the registry")
                }
            }
        }
        Ok(())
    }
}

/// What the build log says about the caches and the Dockerfile, as
/// warnings where the user can act and info where all is well.
fn report_build_log(
    outcome: &crate::build::BuildOutcome,
    plan: &CachePlan,
    mode: Mode,
    push: bool,
) {
    for warning in &outcome.log.warnings {
        tracing::warn!("{warning}");
    }
    for (reference, error) in outcome.log.failed_imports() {
        tracing::info!(
            "the build cache at {reference} could not be imported ({error}); the build ran without it"
        );
    }
    if mode == Mode::Preview {
        return;
    }
    for error in outcome.log.failed_exports() {
        let refs = reference::names(&registry_exports(plan), ", ");
        tracing::warn!(
            "the build cache could not be exported{}: {error}. The image itself was built{}; only the next build's cache is affected. Usual causes: the registry needs `imageManifest: true` and `ociMediaTypes: true` (AWS ECR), the cache tag is immutable, or the credentials may push images but not this tag",
            if refs.is_empty() {
                String::new()
            } else {
                format!(" to {refs}")
            },
            if push { " and pushed" } else { "" },
        );
    }
}

/// The state of an image built per platform: complete when the join
/// succeeded, else the state so far with the join's error (the platforms
/// are pushed; Pulumi must not forget them).
fn joined_state(
    properties: &PropertyMap,
    spec: &ImageSpec,
    hash: String,
    pushed: PlatformsPushed,
) -> Result<(String, PropertyMap), ProviderError> {
    let digest = pushed.joined.as_ref().cloned().unwrap_or_default();
    let outputs = BuildOutputs {
        digest: digest.clone(),
        reference: pinned_ref(&spec.tags, &digest),
        context_hash: hash,
        cache_report: Some(pushed.report),
    };
    let state = state_map(properties, &outputs);
    match pushed.joined {
        Ok(_) => Ok((digest, state)),
        Err(error) => Err(ProviderError::Incomplete {
            id: String::new(),
            state: Box::new(state),
            error: Box::new(error),
        }),
    }
}

/// The first tag pinned to `digest`, or the first tag, or nothing.
fn pinned_ref(tags: &[Reference], digest: &str) -> String {
    match tags.first() {
        Some(first) if !digest.is_empty() && first.digest.is_none() => format!("{first}@{digest}"),
        Some(first) => first.to_string(),
        None => String::new(),
    }
}

/// A preview's state: inputs plus what can be known without pushing.
fn preview_state(properties: &PropertyMap, hash: Option<String>) -> PropertyMap {
    let mut state = mark_secrets(properties.clone());
    state.insert(
        "contextHash".into(),
        hash.map_or(Value::Unknown, Value::String),
    );
    state.insert("digest".into(), Value::Unknown);
    state.insert("ref".into(), Value::Unknown);
    state.insert("cacheReport".into(), Value::Unknown);
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_pins_the_first_tag() {
        let args: crate::image::ImageArgs =
            serde_json::from_value(serde_json::json!({"push": true, "tags": ["r/a:1", "r/a:2"]}))
                .unwrap();
        let tags = ImageSpec::parse(&args).unwrap().tags;
        assert_eq!(pinned_ref(&tags, "sha256:ab"), "r/a:1@sha256:ab");
        assert_eq!(pinned_ref(&tags, ""), "r/a:1");
        assert_eq!(pinned_ref(&[], "sha256:ab"), "");
    }

    /// Read of stored state that does not parse names every problem.
    #[tokio::test]
    async fn read_reports_every_problem_of_the_stored_state() {
        let dir = tempfile::tempdir().unwrap();
        let provider =
            crate::provider::Provider::new(dir.path().to_path_buf(), CancellationToken::new());
        let state = crate::wire::map_from_json(serde_json::json!({
            "push": true, "tags": ["UPPER/case:1", "r/a:bad tag"], "digest": "sha256:ab",
            "contextHash": "x", "ref": "r/a:1"
        }));
        let error = ImageOps {
            provider: &provider,
        }
        .read("id", &state, None)
        .await
        .expect_err("the tags do not parse");
        let ProviderError::InvalidStoredState(failures) = &error else {
            panic!("{error}");
        };
        let properties: Vec<String> = failures.iter().map(|f| f.property.to_string()).collect();
        assert_eq!(properties, ["tags[0]", "tags[1]"], "{error}");
    }
}
