//! The one place provider errors become gRPC statuses.

use tonic::{Code, Status};

use prost::Message as _;

use super::pb;
use crate::provider::{ErrorKind, ProviderError};
use crate::wire::map_to_struct;

/// `google.rpc.Status`, the trailer that carries a status's details.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

/// The status the engine sees for `error`. Partial state travels as an
/// `ErrorResourceInitFailed` detail, which the engine records.
pub fn to_status(error: ProviderError) -> Status {
    let code = code_of(&error);
    let message = error.to_string();
    let ProviderError::Incomplete { id, state, .. } = error else {
        return Status::new(code, message);
    };
    let failed = pb::ErrorResourceInitFailed {
        id,
        properties: Some(map_to_struct(&state)),
        reasons: vec![message.clone()],
        inputs: None,
        refresh_before_update: false,
    };
    let details = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: vec![prost_types::Any {
            type_url: "type.googleapis.com/pulumirpc.ErrorResourceInitFailed".into(),
            value: failed.encode_to_vec(),
        }],
    };
    Status::with_details(code, message, details.encode_to_vec().into())
}

/// The status code of an error's kind.
fn code_of(error: &ProviderError) -> Code {
    match error.kind() {
        ErrorKind::BadInput => Code::InvalidArgument,
        ErrorKind::Precondition => Code::FailedPrecondition,
        ErrorKind::Failed => Code::Unknown,
        ErrorKind::Cancelled => Code::Cancelled,
        ErrorKind::Unsupported => Code::Unimplemented,
        ErrorKind::Defect => Code::Internal,
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

    #[test]
    fn partial_state_travels_as_an_init_failure_the_engine_records() {
        let state =
            crate::wire::map_from_json(serde_json::json!({"tags": ["r/app:1"], "digest": ""}));
        let status = to_status(ProviderError::Incomplete {
            id: "app".into(),
            state: Box::new(state.clone()),
            error: Box::new(ProviderError::Environment("the index push failed".into())),
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(
            status.message().contains("the index push failed"),
            "{}",
            status.message()
        );
        let details = RpcStatus::decode(status.details()).unwrap();
        assert_eq!(details.details.len(), 1);
        let any = &details.details[0];
        assert_eq!(
            any.type_url,
            "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
        );
        let failed = pb::ErrorResourceInitFailed::decode(any.value.as_slice()).unwrap();
        assert_eq!(failed.id, "app");
        assert_eq!(failed.properties, Some(map_to_struct(&state)));
        assert_eq!(failed.reasons, [status.message().to_owned()]);
        // Any other error carries no details.
        assert!(to_status(ProviderError::Cancelled).details().is_empty());
    }
}
