//! Suites that drive the provider in process through its `Resource` seam,
//! with fake builders and registries: the orchestration of builds and
//! caches, and inputs no engine would send.

mod fuzz;
mod orchestration;
mod read_delete;
