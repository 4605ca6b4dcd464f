//! End-to-end tests of the plugin binary, driven the way the Pulumi engine
//! drives it. One test binary for the whole crate, so it builds once.
//!
//! `preview` needs nothing but the binary; `build` needs the Docker engine
//! and the local registry that `scripts/test-env up` starts, and fails
//! (never skips) when they are missing.

mod build;
mod concurrency;
mod ecr;
mod fault_kit;
mod faults;
mod figures;
mod fuzz;
mod harness;
mod index;
mod leaks;
mod load;
mod migration;
mod orchestration;
mod platforms;
mod preview;
mod registry_kit;
mod remote;
