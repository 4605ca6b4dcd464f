//! What the suites share: the session with the plugin binary, playing the
//! engine (`session`), the resource calls for the Image and the Index
//! alike (`calls`), this machine's processes (`processes`), all of it and
//! the test programs and environment under one name (`harness`); a Docker
//! engine that can be broken on purpose (`fault_kit`), registries that
//! misbehave (`registry_kit`), and the reliability figures the run reports
//! (`figures`). The in-process suites use the library's own fakes
//! (`docker_build::fakes`).

pub mod calls;
pub mod fault_kit;
pub mod figures;
pub mod harness;
pub mod processes;
pub mod registry_kit;
pub mod session;
