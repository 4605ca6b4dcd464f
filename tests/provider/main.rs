//! End-to-end tests of the plugin binary, driven the way the Pulumi engine
//! drives it. One test binary for the whole crate, so it builds once.
//!
//! `preview` needs nothing but the binary; `build` needs the Docker engine
//! and the local registry that `scripts/test-env up` starts, and fails
//! (never skips) when they are missing.

mod buildkit_api;
mod in_process;
mod kit;
mod over_grpc;
mod registry_join;

// The kits by their own names: every suite says `crate::harness::...`.
use kit::{fault_kit, figures, harness, registry_kit};
