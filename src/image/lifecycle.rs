//! Create, Update, Read and Delete of an Image: the build with its caches,
//! refreshing pushed tags, and removing pushed digests.
//!
//! Invariant: these return either a complete new state or an error that
//! leaves the old state in force; nothing is half-written.

use std::collections::BTreeSet;

use tokio_util::sync::CancellationToken;

use super::ops::{ImageOps, build_workdir};
use super::outputs::{BuildOutputs, mark_secrets, state_map};
use crate::buildx::docker_config::{Credential, PrivateDockerConfig};
use crate::buildx::{BuildError, BuildJob, CachePlan, Mode, plan_build};
use crate::image::build_request;
use crate::image::cache_policy::{CachePolicy, cache_policy, registry_exports, registry_imports};
use crate::image::{
    CacheReport, ImageArgs, ImageSpec, Inputs, NewHash, checked_spec, decode_state,
};
use crate::model::Reference;
use crate::provider::{
    Created, ProviderError, Refreshed, credentials, hosts_of, private_docker_config,
};
use crate::registry::{Deletion, Presence};
use crate::wire::{PropertyMap, Value};

impl ImageOps<'_> {
    /// Create: build (and push) the image.
    pub async fn create(
        &self,
        name: &str,
        properties: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<Created, ProviderError> {
        let (digest, state) =
            self.build_image(properties, preview, token)
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

    /// Update: rebuild with the new inputs. Nothing old is deleted: the
    /// old digest may still be in use, and tags simply move.
    pub async fn update(
        &self,
        news: &PropertyMap,
        preview: bool,
        token: &CancellationToken,
    ) -> Result<PropertyMap, ProviderError> {
        Ok(self.build_image(news, preview, token).await?.1)
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
        let hash = match self.new_hash(&inputs).await? {
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
        let config = self.provider.config();
        let mut policy = cache_policy(&spec, config.auto_cache, mode);
        let hosts = hosts_of(
            args.tags
                .iter()
                .chain(&registry_imports(&policy.plan))
                .chain(&registry_exports(&policy.plan)),
        );
        let credentials = self
            .provider
            .with_ecr_tokens(
                credentials(&config.registries, &args.registries),
                &hosts,
                false,
            )
            .await?;
        if mode == Mode::Deploy && args.push {
            self.provider.check_ecr_repositories(&args.tags).await?;
        }
        if let Some(automatic) = policy.automatic.as_deref().filter(|_| policy.per_platform) {
            let pushed = self
                .build_per_platform(&spec, automatic, &credentials, token)
                .await?;
            let digest = pushed.joined.as_ref().cloned().unwrap_or_default();
            let outputs = BuildOutputs {
                digest: digest.clone(),
                reference: pinned_ref(args, &digest),
                context_hash: hash,
                cache_report: Some(pushed.report),
            };
            let state = state_map(properties, &outputs);
            return match pushed.joined {
                Ok(_) => Ok((digest, state)),
                Err(error) => Err(ProviderError::Incomplete {
                    id: String::new(),
                    state: Box::new(state),
                    error: Box::new(error),
                }),
            };
        }
        super::platforms::warn_about_shared_cache(args, &registry_exports(&policy.plan));
        let wanted_imports = registry_imports(&policy.plan);
        let found = self.preflight(&mut policy.plan, &credentials, mode).await;
        let outcome = self
            .build_once(&spec, &mut policy, &credentials, mode, token)
            .await?;
        report_build_log(&outcome, &policy.plan, mode, args.push);
        let (cached_steps, total_steps) = outcome.log.step_counts();
        let cache_report = wanted_imports.first().map(|reference| CacheReport {
            reference: Some(reference.clone()),
            found: found.contains(reference) || outcome.log.imported(reference),
            cached_steps,
            total_steps,
        });
        if preview {
            return Ok((String::new(), preview_state(properties, Some(hash))));
        }
        let digest = outcome.digest().unwrap_or_default().to_owned();
        let outputs = BuildOutputs {
            digest: digest.clone(),
            reference: pinned_ref(args, &digest),
            context_hash: hash,
            cache_report,
        };
        Ok((digest, state_map(properties, &outputs)))
    }

    /// Runs one buildx build of `spec` with the policy's caches. A builder
    /// that cannot export a cache costs the automatic cache (ours, not the
    /// user's), never the deploy: the build runs again without it.
    async fn build_once(
        &self,
        spec: &ImageSpec,
        policy: &mut CachePolicy,
        credentials: &[Credential],
        mode: Mode,
        token: &CancellationToken,
    ) -> Result<crate::buildx::BuildOutcome, ProviderError> {
        let workdir = build_workdir()?;
        let docker_config = private_docker_config(credentials)?;
        let metadata_file = workdir.path().join("metadata.json");
        let on_status = |line: &str| tracing::info!(status = true, "{line}");
        let config = self.provider.config();
        let job = |plan| BuildJob {
            plan,
            docker_config: docker_config.as_ref().map(PrivateDockerConfig::path),
            host: config.engine_host(),
            cwd: self.provider.base(),
            cancel: token.clone(),
            on_status: &on_status,
        };
        let plan = plan_build(
            &build_request(spec, &policy.plan, mode),
            &metadata_file,
            self.provider.base(),
        );
        let mut attempt = self.provider.run_build(job(&plan)).await;
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
            let plan = plan_build(
                &build_request(spec, &policy.plan, mode),
                &metadata_file,
                self.provider.base(),
            );
            attempt = self.provider.run_build(job(&plan)).await;
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
    pub async fn read(
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
        let spec = ImageSpec::parse(&stored.args)
            .map_err(|mut failures| ProviderError::InvalidState(failures.swap_remove(0)))?;
        if stored.digest.is_empty() || !spec.pushes() || spec.tags.is_empty() {
            return Ok(unchanged());
        }
        let credentials = match self.stored_credentials(&stored).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(
                    "could not get registry credentials ({error}); leaving the state unchanged"
                );
                return Ok(unchanged());
            }
        };
        let mut surviving = Vec::new();
        for tag in &stored.args.tags {
            let Ok(parsed) = Reference::parse(tag) else {
                surviving.push(tag.clone());
                continue;
            };
            let pinned = format!("{}@{}", parsed.repository(), stored.digest);
            match self.provider.registry().head(&pinned, &credentials).await {
                Presence::Found(_) => surviving.push(tag.clone()),
                Presence::Missing => tracing::warn!(
                    "{tag} no longer holds {} in the registry; dropping it from the state",
                    stored.digest
                ),
                Presence::Unknown(why) => {
                    tracing::warn!(
                        "could not verify {tag} in the registry ({why}); leaving the state unchanged"
                    );
                    return Ok(unchanged());
                }
            }
        }
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

    /// Delete: remove the pushed digest from each tag's repository, best
    /// effort. The registry cache is never touched.
    pub async fn delete(&self, state: &PropertyMap) -> Result<(), ProviderError> {
        let stored = decode_state(state).map_err(ProviderError::InvalidState)?;
        if stored.digest.is_empty() {
            return Ok(());
        }
        let credentials = match self.stored_credentials(&stored).await {
            Ok(credentials) => credentials,
            Err(error) => {
                tracing::warn!(
                    "could not get registry credentials ({error}); the pushed image stays in the registry"
                );
                return Ok(());
            }
        };
        let pinned: BTreeSet<String> = stored
            .args
            .tags
            .iter()
            .filter_map(|t| Reference::parse(t).ok())
            .map(|r| format!("{}@{}", r.repository(), stored.digest))
            .collect();
        let own: BTreeSet<String> = stored
            .args
            .tags
            .iter()
            .filter_map(|t| Reference::parse(t).ok()?.tag)
            .collect();
        for reference in pinned {
            // A digest also tagged by someone else (another image with the
            // same content) stays: deleting it would take their tag too.
            if let Ok(tags) = self
                .provider
                .registry()
                .tags_at(&reference, &credentials)
                .await
            {
                let others: Vec<String> = tags.into_iter().filter(|t| !own.contains(t)).collect();
                if !others.is_empty() {
                    tracing::info!(
                        "not deleting {reference}: it is also tagged {}, which would go with it",
                        others.join(", ")
                    );
                    continue;
                }
            }
            match self
                .provider
                .registry()
                .delete(&reference, &credentials)
                .await
            {
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
    outcome: &crate::buildx::BuildOutcome,
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
        let refs = registry_exports(plan).join(", ");
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

/// The first tag pinned to `digest`, or the first tag, or nothing.
fn pinned_ref(args: &ImageArgs, digest: &str) -> String {
    let Some(first) = args.tags.first() else {
        return String::new();
    };
    match Reference::parse(first) {
        Ok(parsed) if !digest.is_empty() && parsed.digest.is_none() => format!("{first}@{digest}"),
        _ => first.clone(),
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
        let args: ImageArgs =
            serde_json::from_value(serde_json::json!({"push": true, "tags": ["r/a:1", "r/a:2"]}))
                .unwrap();
        assert_eq!(pinned_ref(&args, "sha256:ab"), "r/a:1@sha256:ab");
        assert_eq!(pinned_ref(&args, ""), "r/a:1");
        assert_eq!(pinned_ref(&ImageArgs::default(), "sha256:ab"), "");
    }
}
