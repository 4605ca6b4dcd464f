//! Joining images already in registries into one index under one or more
//! tags, registry to registry, with manifest PUTs: what `docker buildx
//! imagetools create` did for the Index resource and for images built one
//! platform at a time. Sources in another repository are copied into each
//! tag's repository first (mounted on the same registry), as buildx does.

use futures_util::future::try_join_all;

use super::http::{HttpRegistry, Target, target};
use super::oci::{self, Combined, ConfigPlatform, Descriptor, Index, Manifest, Resolved};
use super::transfer::Fetched;
use super::{JoinJob, Joined};
use crate::credential::Credential;
use crate::model::Reference;

impl HttpRegistry {
    /// Runs `job`: reads every source, combines them, copies what another
    /// repository holds, and writes the index under each tag.
    pub(super) async fn join_images(&self, job: JoinJob<'_>) -> Result<Joined, String> {
        if job.tags.is_empty() || job.sources.is_empty() {
            return Err("an index needs a tag and at least one source".into());
        }
        let sources =
            try_join_all(job.sources.iter().map(|s| self.resolve(s, job.credentials))).await?;
        let (locations, resolved): (Vec<Target>, Vec<Resolved>) = sources.into_iter().unzip();
        let combined = oci::combine(&resolved)?;
        if job.push {
            for tag in job.tags {
                self.push_to(tag, &combined, &locations, job.credentials)
                    .await?;
            }
        }
        Ok(Joined {
            digest: combined.digest,
            media_type: combined.media_type,
            manifest: combined.body,
        })
    }

    /// Copies what `tag`'s repository lacks, then writes the index there.
    async fn push_to(
        &self,
        tag: &Reference,
        combined: &Combined,
        locations: &[Target],
        credentials: &[Credential],
    ) -> Result<(), String> {
        let to = target(tag).await;
        for (descriptor, source) in &combined.entries {
            let from = &locations[*source];
            if from.base != to.base || from.repository != to.repository {
                self.copy_chain(descriptor, (from, &to), credentials)
                    .await?;
            }
        }
        let body = (combined.media_type.as_str(), combined.body.as_slice());
        let written = self
            .put_manifest(&to, &to.reference, body, credentials)
            .await?;
        debug_assert_eq!(written, combined.digest);
        Ok(())
    }

    /// Reads one source: where it lives, and its descriptor (a single
    /// image's with the platform from its config).
    async fn resolve(
        &self,
        source: &Reference,
        credentials: &[Credential],
    ) -> Result<(Target, Resolved), String> {
        let location = target(source).await;
        let reference = location.reference.clone();
        let Fetched {
            body,
            media_type,
            digest,
        } = self
            .fetch_manifest(&location, &reference, credentials)
            .await?;
        let mut descriptor = Descriptor {
            media_type: media_type.clone(),
            digest,
            size: body.len() as u64,
            urls: Vec::new(),
            annotations: Default::default(),
            data: None,
            platform: None,
            artifact_type: None,
        };
        let mut entries = Vec::new();
        if oci::is_index(&media_type) {
            let index: Index = serde_json::from_slice(&body)
                .map_err(|e| format!("source {source} is not a valid index: {e}"))?;
            entries = index.manifests;
        } else {
            let manifest: Manifest = serde_json::from_slice(&body)
                .map_err(|e| format!("source {source} is not a valid image manifest: {e}"))?;
            let config = self
                .fetch_blob(&location, &manifest.config.digest, credentials)
                .await?;
            let config: ConfigPlatform = serde_json::from_slice(&config)
                .map_err(|e| format!("the config of {source} is not valid: {e}"))?;
            descriptor.platform = Some(oci::normalized_platform(&config));
        }
        let resolved = Resolved {
            descriptor,
            body,
            entries,
        };
        Ok((location, resolved))
    }

    /// Copies the manifest `descriptor` names, and everything it refers
    /// to, from one repository to another.
    async fn copy_chain(
        &self,
        descriptor: &Descriptor,
        (from, to): (&Target, &Target),
        credentials: &[Credential],
    ) -> Result<(), String> {
        let fetched = self
            .fetch_manifest(from, &descriptor.digest, credentials)
            .await?;
        if oci::is_index(&fetched.media_type) {
            let index: Index = serde_json::from_slice(&fetched.body)
                .map_err(|e| format!("{} is not a valid index: {e}", descriptor.digest))?;
            for child in &index.manifests {
                Box::pin(self.copy_chain(child, (from, to), credentials)).await?;
            }
        } else {
            let manifest: Manifest = serde_json::from_slice(&fetched.body)
                .map_err(|e| format!("{} is not a valid manifest: {e}", descriptor.digest))?;
            for blob in std::iter::once(&manifest.config).chain(&manifest.layers) {
                self.copy_blob((from, to), &blob.digest, credentials)
                    .await?;
            }
        }
        let body = (fetched.media_type.as_str(), fetched.body.as_slice());
        self.put_manifest(to, &descriptor.digest, body, credentials)
            .await?;
        Ok(())
    }
}
