//! Suites that drive the plugin binary over gRPC, as the Pulumi engine
//! does, against the test environment's Docker engines, registries, moto
//! and BuildKit fleet.

mod build;
mod concurrency;
mod conformance;
mod ecr;
mod faults;
mod index;
mod leaks;
mod load;
mod migration;
mod native;
mod platforms;
mod preview;
mod remote;
