//! The new context hash Diff and Create compare against: ours, computed
//! off the async workers, and whether a stored hash the official
//! provider wrote still describes the same files.

use super::ImageOps;
use crate::context::OfficialMemo;
use crate::image::{Inputs, NewHash, context_sources, official_sources};
use crate::provider::ProviderError;
use crate::wire::PropertyPath;

impl ImageOps<'_> {
    /// `ours` differs from the stored hash: is the stored one the official
    /// provider's value for these same files? (Once per tree: a match is
    /// remembered.)
    pub async fn recognise_official(
        &self,
        stored: &str,
        ours: String,
        inputs: &Inputs,
    ) -> Result<NewHash, ProviderError> {
        if !OfficialMemo::could_be_official(stored) || inputs.known().is_none() {
            return Ok(NewHash::Known(ours));
        }
        let args = inputs.args().clone();
        let (base, stored) = (self.provider.base().to_owned(), stored.to_owned());
        let memo = self.provider.official().clone();
        let token = self.provider.operation_token();
        let span = tracing::Span::current();
        let work = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let sources =
                || official_sources(&args, &base).map_err(|e| std::io::Error::other(e.to_string()));
            let matched = memo.matches(&stored, &ours, sources);
            if matched {
                tracing::debug!(
                    "the stored contextHash is the official provider's for these files"
                );
                NewHash::OfficialMatch
            } else {
                NewHash::Known(ours)
            }
        });
        tokio::select! {
            biased;
            () = token.cancelled() => Err(ProviderError::Cancelled),
            joined = work => joined
                .map_err(|e| ProviderError::Internal(format!("context hashing stopped: {e}"))),
        }
    }

    /// The context hash of `inputs`, or unknown when its sources are.
    pub async fn new_hash(&self, inputs: &Inputs) -> Result<NewHash, ProviderError> {
        let sources_unknown = ["context", "dockerfile"]
            .iter()
            .any(|key| inputs.touches_unknown(&PropertyPath::key(*key)));
        let args = match (inputs.known(), sources_unknown) {
            (_, true) => return Ok(NewHash::Unknown),
            (Some(args), false) => args.clone(),
            (None, false) => inputs.args().clone(),
        };
        let base = self.provider.base().to_owned();
        let token = self.provider.operation_token();
        // Hashing reads files: keep it off the async workers, and stop
        // waiting for it when the operation is cancelled.
        let span = tracing::Span::current();
        let hasher = self.provider.hasher().clone();
        let work = tokio::task::spawn_blocking(move || -> Result<String, ProviderError> {
            let _entered = span.enter();
            let sources = context_sources(&args, &base)?;
            let (hash, stats) = hasher.hash(&sources)?;
            tracing::debug!(
                "context hashed in {:?}: {} files, {} read ({} bytes), {} from the index; {}",
                stats.elapsed,
                stats.files,
                stats.read,
                stats.bytes_read,
                stats.from_index,
                &hash[..12]
            );
            Ok(hash)
        });
        tokio::select! {
            biased;
            () = token.cancelled() => Err(ProviderError::Cancelled),
            joined = work => match joined {
                Ok(result) => result.map(NewHash::Known),
                Err(e) => Err(ProviderError::Internal(format!("context hashing stopped: {e}"))),
            },
        }
    }
}
