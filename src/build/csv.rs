//! Building the CSV values buildx takes for `--output`, `--cache-from` and
//! `--cache-to` (`type=x,key=value,...`), quoting values that would
//! otherwise split the field.

use std::collections::BTreeMap;
use std::fmt::Display;

use crate::model::cache::Compression;

/// A CSV value under construction.
pub struct Csv(pub String);

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

/// The fields of one CSV record, as Go's `encoding/csv` reads the raw
/// entries buildx is given: `"` quotes a field (`""` inside is a quote);
/// a quote inside an unquoted field is an error.
fn read_fields(text: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".to_owned()),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err("extraneous or missing \" in quoted-field".to_owned());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("bare \" in non-quoted-field".to_owned());
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

/// A rendered entry (`type=x,key=value,...`) as BuildKit takes it: its
/// type and its attributes (keys lower-cased, as buildx reads them).
pub fn attributes(text: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let mut kind = None;
    let mut attrs = BTreeMap::new();
    for field in read_fields(text)? {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("invalid value {field}"));
        };
        let key = key.trim().to_ascii_lowercase();
        match key.as_str() {
            "type" => kind = Some(value.to_owned()),
            _ => {
                attrs.insert(key, value.to_owned());
            }
        }
    }
    match kind {
        Some(kind) if !kind.is_empty() => Ok((kind, attrs)),
        _ => Err(format!("no type in {text:?}")),
    }
}

/// `key=value` fields with one `type`, as buildx requires of both forms
/// (a second `type` the official provider refuses: buildx would keep the
/// last one silently).
fn typed_fields(fields: &[String], missing_type: impl FnOnce() -> String) -> Result<(), String> {
    let mut kind = None;
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("invalid value {field}"));
        };
        if key.trim().eq_ignore_ascii_case("type") {
            if kind.is_some() {
                return Err("an entry has one `type`, and this one gives several".into());
            }
            kind = Some(value);
        }
    }
    match kind {
        Some(kind) if !kind.is_empty() => Ok(()),
        _ => Err(missing_type()),
    }
}

/// Checks a raw `exports` entry as buildx's `--output` parser does: a bare
/// path (local directory) or `-` (tar to stdout), else `key=value` fields
/// with a `type`.
pub fn check_raw_export(raw: &str) -> Result<(), String> {
    let fields = read_fields(raw)?;
    if fields.len() == 1 && fields[0] == raw && !raw.starts_with("type=") {
        return Ok(());
    }
    typed_fields(&fields, || "type is required for output".to_owned())
}

/// Checks a raw cache entry as buildx's `--cache-from`/`--cache-to`
/// parser does: registry refs with no `=` at all, else `key=value` fields
/// with a `type`.
pub fn check_raw_cache(raw: &str) -> Result<(), String> {
    let fields = read_fields(raw)?;
    if fields.iter().all(|f| !f.contains('=')) {
        return Ok(());
    }
    typed_fields(&fields, || format!("type required form> {raw:?}"))
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    #[test]
    fn raw_entries_parse_as_buildx_parses_them() {
        for ok in [
            "type=local,dest=out",
            "out",
            "-",
            "type=registry,\"name=a,b\"",
            "TYPE=tar,dest=x.tar",
            // One field without `type=` is a local directory, even this.
            "dest=x",
        ] {
            assert_eq!(check_raw_export(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("type=", "type is required for output"),
            ("badexport,-", "invalid value badexport"),
            ("type=local,de\"st=x", "bare \" in non-quoted-field"),
            ("\"type=local", "extraneous or missing \" in quoted-field"),
            (
                "type=local,dest=a,type=tar",
                "an entry has one `type`, and this one gives several",
            ),
        ] {
            assert_eq!(check_raw_export(bad), Err(why.to_owned()), "{bad}");
        }
        for ok in ["r.example/app:cache", "a,b", "type=registry,ref=r/a:c"] {
            assert_eq!(check_raw_cache(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            check_raw_cache("=x"),
            Err("type required form> \"=x\"".to_owned())
        );
        assert_eq!(
            attributes("type=image,\"name=a,b\",Push=true"),
            Ok((
                "image".to_owned(),
                BTreeMap::from([
                    ("name".to_owned(), "a,b".to_owned()),
                    ("push".to_owned(), "true".to_owned())
                ])
            ))
        );
        assert!(attributes("name=x").is_err());
        assert_eq!(
            check_raw_cache("ref=r/a,mode"),
            Err("invalid value mode".to_owned())
        );
    }
}
