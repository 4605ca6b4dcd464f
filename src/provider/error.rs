//! The provider's errors, by kind: bad input (or state), a problem of the
//! environment with what to do about it, a failed operation, or a defect.
//! The protocol layer maps each to one gRPC status, in one place.

use crate::context::HashError;
use crate::failure::{InputFailure, describe_all};
use crate::wire::{PropertyMap, UnsupportedValue};

/// Why a provider operation did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request's inputs are invalid; each failure names its property.
    #[error("invalid inputs: {}", describe_all(.0))]
    InvalidInputs(Vec<InputFailure>),
    /// A special wire value this provider does not take.
    #[error(transparent)]
    Unsupported(#[from] UnsupportedValue),
    /// The stored state (from the engine) does not decode: the same kind,
    /// whichever operation reads it.
    #[error("the stored state does not decode: {0}")]
    InvalidState(InputFailure),
    /// Stored state that decodes but does not parse: every problem found.
    #[error("the stored state does not parse: {}", join_failures(.0))]
    InvalidStoredState(Vec<InputFailure>),
    /// Something of this machine stops the operation (a full disk, an
    /// unwritable temporary directory): what happened and what to do.
    #[error("{0}")]
    Environment(String),
    /// The request names a resource type this provider does not have.
    #[error(
        "unknown resource type `{0}`: this provider manages docker-build:index:Image and docker-build:index:Index"
    )]
    UnknownType(String),
    /// The build context could not be read.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The build did not produce an image.
    #[error(transparent)]
    Build(crate::buildx::BuildError),
    /// A registry or ECR problem that stops the operation before it builds.
    #[error("{0}")]
    Registry(String),
    /// One platform of a multi-platform image failed (the others were
    /// stopped).
    #[error("building {platform}: {error}")]
    Platform {
        /// The platform, e.g. `linux/arm64`.
        platform: String,
        /// What went wrong.
        error: Box<ProviderError>,
    },
    /// Images were pushed before a later step failed (joining platforms
    /// into one index, reading its digest back): the state so far, for the
    /// engine to record as a resource with an initialization error
    /// (Pulumi's partial-state convention), so nothing pushed is forgotten
    /// and the next `pulumi up` finishes the job.
    #[error(
        "{error} (what was pushed so far is recorded in the stack; the next `pulumi up` finishes it)"
    )]
    Incomplete {
        /// The resource's id (its name until an index digest exists).
        id: String,
        /// The state so far.
        state: Box<PropertyMap>,
        /// What failed.
        error: Box<ProviderError>,
    },
    /// The operation was cancelled (Cancel, SIGINT or a timeout).
    #[error("the operation was cancelled before it finished")]
    Cancelled,
    /// A call this provider does not offer at all.
    #[error("{0} is not supported by the docker-build provider")]
    NotSupported(&'static str),
    /// A defect: an invariant did not hold.
    #[error("internal error in the docker-build provider: {0}")]
    Internal(String),
}

impl ProviderError {
    /// A temporary file or directory that could not be made: a full disk
    /// or an unwritable `TMPDIR`, not a defect.
    pub fn temporary(what: &str, error: &std::io::Error) -> ProviderError {
        let dir = std::env::temp_dir();
        ProviderError::Environment(format!(
            "cannot create {what} in {} ({error}): free some space there or set TMPDIR to a writable directory",
            dir.display()
        ))
    }
}

impl From<InputFailure> for ProviderError {
    fn from(failure: InputFailure) -> Self {
        ProviderError::InvalidInputs(vec![failure])
    }
}

impl From<crate::buildx::BuildError> for ProviderError {
    fn from(error: crate::buildx::BuildError) -> Self {
        match error {
            crate::buildx::BuildError::Cancelled => ProviderError::Cancelled,
            other => ProviderError::Build(other),
        }
    }
}

/// `failures` as one line, each with its property.
fn join_failures(failures: &[InputFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
