//! Building the CSV values buildx takes for `--output`, `--cache-from` and
//! `--cache-to` (`type=x,key=value,...`), quoting values that would
//! otherwise split the field.

use std::fmt::Display;

use super::cache::Compression;

/// A CSV value under construction.
pub(super) struct Csv(pub String);

impl Csv {
    /// Starts with `type=<kind>`.
    pub fn new(kind: &str) -> Self {
        Csv(format!("type={kind}"))
    }

    /// Appends `key=value`.
    pub fn set(mut self, key: &str, value: impl Display) -> Self {
        let value = value.to_string();
        // buildx reads these values as CSV: quote a value holding a comma
        // or a quote so it stays one field.
        if value.contains([',', '"']) {
            self.0
                .push_str(&format!(",\"{key}={}\"", value.replace('"', "\"\"")));
        } else {
            self.0.push_str(&format!(",{key}={value}"));
        }
        self
    }

    /// Appends `key=value` when there is a value.
    pub fn opt(self, key: &str, value: Option<impl Display>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Appends the compression settings that were given. A level of 0
    /// means "the algorithm's default" and is left to BuildKit; levels
    /// above 22 are clamped.
    pub fn compression(self, settings: &Compression) -> Self {
        let Compression {
            compression,
            compression_level,
            force_compression,
        } = settings;
        let level = compression_level.filter(|l| *l > 0).map(|l| l.min(22));
        self.opt("compression", compression.as_ref())
            .opt("compression-level", level)
            .opt("force-compression", *force_compression)
    }

    /// The finished value.
    pub fn finish(self) -> String {
        self.0
    }
}
