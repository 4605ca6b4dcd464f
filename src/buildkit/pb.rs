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

        /// `moby.buildkit.secrets`.
        pub mod secrets {
            /// `moby.buildkit.secrets.v1`: build secrets, served by the client.
            pub mod v1 {
                tonic::include_proto!("moby.buildkit.secrets.v1");
            }
        }
    }

    /// `moby.sshforward`.
    pub mod sshforward {
        /// `moby.sshforward.v1`: SSH agents, served by the client.
        pub mod v1 {
            tonic::include_proto!("moby.sshforward.v1");
        }
    }

    /// `moby.filesync`.
    pub mod filesync {
        /// `moby.filesync.v1`: file sync and registry logins, served by
        /// the client.
        pub mod v1 {
            tonic::include_proto!("moby.filesync.v1");
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

/// `fsutil.types`: DiffCopy's packets.
pub mod fsutil {
    /// `fsutil.types`.
    pub mod types {
        tonic::include_proto!("fsutil.types");
    }
}

/// `grpc.health.v1`: the session's health check.
pub mod grpc {
    /// `grpc.health`.
    pub mod health {
        /// `grpc.health.v1`.
        pub mod v1 {
            tonic::include_proto!("grpc.health.v1");
        }
    }
}

/// `containerd.services.content.v1`: a content store, served by the
/// client for local cache directories.
pub mod containerd {
    /// `containerd.services`.
    pub mod services {
        /// `containerd.services.content`.
        pub mod content {
            /// `containerd.services.content.v1`.
            pub mod v1 {
                tonic::include_proto!("containerd.services.content.v1");
            }
        }
    }
}
