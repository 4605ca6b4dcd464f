//! Input failures: one problem with one property, found while checking.
//!
//! A failure is data, not an error: Check collects every failure of a
//! request and returns them together so one preview shows all problems.

use std::fmt;

use crate::wire::PropertyPath;

/// One problem with one input property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFailure {
    /// The property at fault, e.g. `cacheTo[1]`.
    pub property: PropertyPath,
    /// What is wrong and, where possible, how to fix it.
    pub reason: String,
}

impl InputFailure {
    /// A failure of `property` with `reason`.
    pub fn new(property: PropertyPath, reason: impl Into<String>) -> Self {
        Self {
            property,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for InputFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.property, self.reason)
    }
}

/// Joins failures into one message for places that cannot return a list.
pub fn describe_all(failures: &[InputFailure]) -> String {
    failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
