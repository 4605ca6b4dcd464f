//! The provider's errors, by kind: bad input (or state), a problem of the
//! environment with what to do about it, a failed operation, or a defect.
//! The protocol layer maps each to one gRPC status, in one place.

use crate::build::BuildError;
use crate::context::HashError;
use crate::ecr::EcrError;
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
    #[error("the stored state does not parse: {}", describe_all(.0))]
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
    Build(BuildError),
    /// ECR would not give a registry token (and no other login exists).
    #[error(transparent)]
    Ecr(#[from] EcrError),
    /// A pushed image's ECR repository does not exist.
    #[error(
        "the ECR repository `{repository}` does not exist in account {account} ({region}): create it first, e.g. with an aws.ecr.Repository resource or `aws ecr create-repository --repository-name {repository} --region {region}`"
    )]
    EcrRepositoryMissing {
        /// The repository path.
        repository: String,
        /// The AWS account of the registry.
        account: String,
        /// The registry's region.
        region: String,
    },
    /// Joining images into one index under a tag failed at the registry.
    #[error("joining {sources} into the {what} {tag}: {error}")]
    Join {
        /// `image index` or `index`.
        what: &'static str,
        /// The (first) tag of the index.
        tag: String,
        /// The sources, comma-separated.
        sources: String,
        /// What the registry said or what was wrong with a source.
        error: String,
    },
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

/// What kind of failure an error is, for whoever reports it (the
/// protocol maps each kind to one status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input or stored state: the program must change.
    BadInput,
    /// A problem of the machine or the outside world, with what to do.
    Precondition,
    /// The operation ran and failed (a failed build).
    Failed,
    /// Cancelled.
    Cancelled,
    /// A call this provider does not offer.
    Unsupported,
    /// A defect of the provider.
    Defect,
}

impl ProviderError {
    /// This error's kind (a platform's or a partial failure's is that of
    /// its cause).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::Platform { error, .. } | ProviderError::Incomplete { error, .. } => {
                error.kind()
            }
            ProviderError::InvalidInputs(_)
            | ProviderError::InvalidState(_)
            | ProviderError::InvalidStoredState(_)
            | ProviderError::Unsupported(_)
            | ProviderError::UnknownType(_) => ErrorKind::BadInput,
            ProviderError::Hash(_)
            | ProviderError::Ecr(_)
            | ProviderError::EcrRepositoryMissing { .. }
            | ProviderError::Join { .. }
            | ProviderError::Environment(_) => ErrorKind::Precondition,
            ProviderError::Build(
                BuildError::BuildxMissing { .. }
                | BuildError::EngineUnreachable { .. }
                | BuildError::UnknownBuilder { .. }
                | BuildError::BuilderUnreachable { .. }
                | BuildError::CacheExportUnsupported { .. }
                | BuildError::ClassicStoreRefuses { .. }
                | BuildError::SshKeys { .. },
            ) => ErrorKind::Precondition,
            ProviderError::Build(BuildError::Refused { .. }) => ErrorKind::BadInput,
            ProviderError::Build(_) => ErrorKind::Failed,
            ProviderError::Cancelled => ErrorKind::Cancelled,
            ProviderError::NotSupported(_) => ErrorKind::Unsupported,
            ProviderError::Internal(_) => ErrorKind::Defect,
        }
    }

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

impl From<BuildError> for ProviderError {
    fn from(error: BuildError) -> Self {
        match error {
            BuildError::Cancelled => ProviderError::Cancelled,
            other => ProviderError::Build(other),
        }
    }
}
