//! What the suites share: the harness that starts the plugin binary and
//! plays the engine (`harness`), a Docker engine that can be broken on
//! purpose (`fault_kit`), registries that misbehave (`registry_kit`), and
//! the reliability figures the run reports (`figures`).

pub mod fault_kit;
pub mod figures;
pub mod harness;
pub mod registry_kit;
