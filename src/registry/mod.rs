//! Talking to image registries directly (OCI distribution API): does a
//! manifest exist, deleting one, and joining images into one index with
//! manifest PUTs. Used to ask whether a build cache exists before a
//! build, to refresh pushed tags, to delete digests, and for the Index
//! resource and images built one platform at a time.
//!
//! Answers keep "not there" (404) apart from "could not ask" (401/403,
//! network): only the first may change what the provider stores. This
//! module knows nothing of gRPC or of buildx.

mod auth;
mod http;
mod join;
mod oci;
mod transfer;

pub use http::HttpRegistry;

use std::collections::BTreeSet;

use crate::credential::Credential;
use crate::model::Reference;
use futures_util::future::BoxFuture;

/// Whether a manifest exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// It exists, with this digest when the registry said.
    Found(Option<String>),
    /// The registry says it does not exist (404).
    Missing,
    /// The registry could not be asked or refused to answer.
    Unknown(String),
}

/// How a manifest deletion went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// Deleted.
    Deleted,
    /// It was already gone (404): as good as deleted.
    AlreadyGone,
    /// The registry refused or failed; the reason.
    Failed(String),
}

/// What to join, and where.
#[derive(Debug, Clone, Copy)]
pub struct JoinJob<'a> {
    /// The index's tags (at least one).
    pub tags: &'a [Reference],
    /// The images or indexes to join, by tag or digest.
    pub sources: &'a [Reference],
    /// `false` assembles the index without pushing anything.
    pub push: bool,
    /// The logins for the registries involved.
    pub credentials: &'a [Credential],
}

/// A joined index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// Its digest (`sha256:...`), which every tag now points at when pushed.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The manifest itself.
    pub manifest: Vec<u8>,
}

/// The registry operations the provider needs, over references parsed
/// once, where the inputs were checked.
pub trait Registry: Send + Sync {
    /// Looks up `reference` (`host/repo:tag` or `host/repo@digest`).
    fn head<'a>(
        &'a self,
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Presence>;
    /// Deletes the manifest `host/repo@digest` (or, on registries that
    /// can, the tag `host/repo:tag` alone).
    fn delete<'a>(
        &'a self,
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Deletion>;
    /// The tags of the repository of `host/repo@digest` that point at that
    /// digest: deleting the manifest would take every one of them along.
    fn tags_at<'a>(
        &'a self,
        reference: &'a Reference,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Result<Vec<String>, String>> {
        let _ = (reference, credentials);
        Box::pin(async { Err("this registry client cannot list tags".to_owned()) })
    }
    /// Joins the images `job` names into one index under its tags (pushed
    /// unless `job.push` is false); the index.
    fn join<'a>(&'a self, job: JoinJob<'a>) -> BoxFuture<'a, Result<Joined, String>> {
        let _ = job;
        Box::pin(async { Err("this registry client cannot join images".to_owned()) })
    }
}

/// The tags at `pinned` (`repository@digest`) other than `own`. A digest
/// still tagged elsewhere is never deleted, by an Image or an Index: its
/// other tags would go with it. Empty when the registry cannot list tags.
pub async fn tagged_elsewhere(
    registry: &dyn Registry,
    pinned: &Reference,
    own: &BTreeSet<String>,
    credentials: &[Credential],
) -> Vec<String> {
    match registry.tags_at(pinned, credentials).await {
        Ok(tags) => tags.into_iter().filter(|t| !own.contains(t)).collect(),
        Err(why) => {
            tracing::debug!("could not list the tags at {pinned} ({why})");
            Vec::new()
        }
    }
}
