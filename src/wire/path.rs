//! Property paths such as `cacheTo[1].registry.ref` or `buildArgs["a.b"]`.
//!
//! Every failure the provider reports about an input names the property by
//! its path, in the notation the Pulumi engine uses in detailed diffs.

use std::fmt;

/// One step into a property tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A path from the root of a resource's properties to one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PropertyPath(Vec<Segment>);

impl PropertyPath {
    /// The empty path, naming the whole property map.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of one key.
    pub fn key(name: impl Into<String>) -> Self {
        Self(vec![Segment::Key(name.into())])
    }

    /// This path extended by an object key.
    pub fn field(&self, name: impl Into<String>) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(name.into()));
        Self(segments)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }

    /// The steps of this path, outermost first.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Whether `self` equals `other` or lies inside it.
    pub fn starts_with(&self, other: &PropertyPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The name of the top-level property this path starts with.
    pub fn top_level(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

/// Keys that can be written after a dot; others are quoted in brackets.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

impl fmt::Display for PropertyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => {
                    // serde_json's string encoding gives a quoted, escaped key.
                    let quoted = serde_json::to_string(key).map_err(|_| fmt::Error)?;
                    write!(f, "[{quoted}]")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_the_engine() {
        let path = PropertyPath::key("cacheTo")
            .index(1)
            .field("registry")
            .field("ref");
        assert_eq!(path.to_string(), "cacheTo[1].registry.ref");
        let path = PropertyPath::key("buildArgs").field("a.b");
        assert_eq!(path.to_string(), r#"buildArgs["a.b"]"#);
        assert_eq!(PropertyPath::key("tags").index(2).to_string(), "tags[2]");
    }

    #[test]
    fn prefix_checks_whole_segments() {
        let tags = PropertyPath::key("tags");
        assert!(tags.index(0).starts_with(&tags));
        assert!(!PropertyPath::key("tagsX").starts_with(&tags));
    }
}
