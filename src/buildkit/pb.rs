//! BuildKit's control API as tonic and prost generate it (`build.rs`), in
//! modules named after its protobuf packages so the generated code's
//! relative paths between them resolve.

#![allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]

/// `moby.buildkit.*`.
pub mod moby {
    /// `moby.buildkit`.
    pub mod buildkit {
        /// `moby.buildkit.v1`: the Control service.
        pub mod v1 {
            tonic::include_proto!("moby.buildkit.v1");

            /// `moby.buildkit.v1.types`: workers.
            pub mod types {
                tonic::include_proto!("moby.buildkit.v1.types");
            }

            /// `moby.buildkit.v1.sourcepolicy`.
            pub mod sourcepolicy {
                tonic::include_proto!("moby.buildkit.v1.sourcepolicy");
            }
        }
    }
}

/// `pb`: the LLB operations and platforms.
pub mod pb {
    tonic::include_proto!("pb");
}

/// `google.rpc`: the status a history record carries.
pub mod google {
    /// `google.rpc`.
    pub mod rpc {
        tonic::include_proto!("google.rpc");
    }
}
