//! Talking to image registries directly (OCI distribution API): does a
//! manifest exist, and deleting one. Used to ask whether a build cache
//! exists before a build, to refresh pushed tags, and to delete digests.
//!
//! Answers keep "not there" (404) apart from "could not ask" (401/403,
//! network): only the first may change what the provider stores. This
//! module knows nothing of gRPC or of buildx.

mod auth;
mod http;

pub use http::HttpRegistry;

use std::collections::BTreeSet;

use crate::credential::Credential;
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

/// The registry operations the provider needs.
pub trait Registry: Send + Sync {
    /// Looks up `reference` (`host/repo:tag` or `host/repo@digest`).
    fn head<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Presence>;
    /// Deletes the manifest `host/repo@digest`.
    fn delete<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Deletion>;
    /// The tags of the repository of `host/repo@digest` that point at that
    /// digest: deleting the manifest would take every one of them along.
    fn tags_at<'a>(
        &'a self,
        reference: &'a str,
        credentials: &'a [Credential],
    ) -> BoxFuture<'a, Result<Vec<String>, String>> {
        let _ = (reference, credentials);
        Box::pin(async { Err("this registry client cannot list tags".to_owned()) })
    }
}

/// The tags at `pinned` (`repository@digest`) other than `own`. A digest
/// still tagged elsewhere is never deleted, by an Image or an Index: its
/// other tags would go with it. Empty when the registry cannot list tags.
pub async fn tagged_elsewhere(
    registry: &dyn Registry,
    pinned: &str,
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
