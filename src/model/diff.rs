//! What a Diff reports, for either resource: which property paths changed
//! and how, and whether the change needs a new resource.

use std::collections::{BTreeMap, BTreeSet};

use crate::wire::PropertyPath;

/// How one property changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Present now, absent before.
    Add,
    /// Absent now, present before.
    Delete,
    /// Present in both, different (or not known yet).
    Update,
}

/// The changes between a resource's state and its new inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceDiff {
    /// Changed property paths and how they changed.
    pub changes: BTreeMap<PropertyPath, Change>,
    /// Top-level properties whose change needs a new resource (an Image
    /// never does; an Index does when its tag or registry moves).
    pub replaces: BTreeSet<String>,
    /// Whether a replacement deletes the old resource before creating the
    /// new one (the engine's default is the other order).
    pub delete_before_replace: bool,
}

impl ResourceDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The distinct top-level properties that changed.
    pub fn top_level(&self) -> BTreeSet<String> {
        self.changes
            .keys()
            .filter_map(|p| p.top_level().map(str::to_owned))
            .collect()
    }
}
