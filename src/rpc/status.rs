//! The one place provider errors become gRPC statuses.

use tonic::{Code, Status};

use crate::buildx::BuildError;
use crate::provider::ProviderError;

/// The status the engine sees for `error`.
pub fn to_status(error: ProviderError) -> Status {
    Status::new(code_of(&error), error.to_string())
}

/// The code of one kind of error (a platform's error has that error's).
fn code_of(error: &ProviderError) -> Code {
    match error {
        ProviderError::Platform { error, .. } => code_of(error),
        ProviderError::InvalidInputs(_)
        | ProviderError::InvalidState(_)
        | ProviderError::Unsupported(_)
        | ProviderError::UnknownType(_) => Code::InvalidArgument,
        ProviderError::Hash(_) | ProviderError::Registry(_) | ProviderError::Environment(_) => {
            Code::FailedPrecondition
        }
        ProviderError::Build(
            BuildError::BuildxMissing { .. }
            | BuildError::EngineUnreachable { .. }
            | BuildError::UnknownBuilder { .. }
            | BuildError::BuilderUnreachable { .. }
            | BuildError::CacheExportUnsupported { .. },
        ) => Code::FailedPrecondition,
        ProviderError::Build(_) => Code::Unknown,
        ProviderError::Cancelled => Code::Cancelled,
        ProviderError::NotSupported(_) => Code::Unimplemented,
        ProviderError::Internal(_) => Code::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::InputFailure;
    use crate::wire::PropertyPath;

    #[test]
    fn each_kind_has_its_code_and_keeps_the_property() {
        let bad = ProviderError::InvalidInputs(vec![InputFailure::new(
            PropertyPath::key("tags").index(2),
            "bad tag",
        )]);
        let status = to_status(bad);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            status.message().contains("tags[2]: bad tag"),
            "{}",
            status.message()
        );
        assert_eq!(to_status(ProviderError::Cancelled).code(), Code::Cancelled);
        assert_eq!(
            to_status(ProviderError::NotSupported("Construct")).code(),
            Code::Unimplemented
        );
        assert_eq!(
            to_status(ProviderError::Internal("x".into())).code(),
            Code::Internal
        );
        let state = ProviderError::InvalidState(InputFailure::new(PropertyPath::root(), "bad"));
        assert_eq!(to_status(state).code(), Code::InvalidArgument);
        let full = std::io::Error::from_raw_os_error(28);
        let status = to_status(ProviderError::temporary("a build directory", &full));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(status.message().contains("TMPDIR"), "{}", status.message());
    }
}
