//! Build outputs (`exports`): wire shape, validation into one variant per
//! exporter, and `--output` rendering with BuildKit's attribute names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cache::Compression;
use super::csv::Csv;
use crate::failure::InputFailure;
use crate::wire::PropertyPath;

/// An `exports` entry as declared: set exactly one exporter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct ExportInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cacheonly: Option<CacheOnly>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<Tarball>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageExport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci: Option<Tarball>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<ImageExport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<Destination>,
}

/// The cache-only exporter takes no settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct CacheOnly {}

/// A file or directory destination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
pub struct Destination {
    #[serde(default)]
    pub dest: String,
}

/// Settings of the `image` and `registry` exporters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct ImageExport {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangling_name_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_canonical: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_media_types: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_by_digest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpack: Option<bool>,
    #[serde(flatten)]
    pub compression: Compression,
}

/// Settings of the `docker` and `oci` exporters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields mirror schema.json, which documents each one
#[serde(rename_all = "camelCase")]
pub struct Tarball {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oci_media_types: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tar: Option<bool>,
    #[serde(flatten)]
    pub compression: Compression,
}

/// One validated export.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // one variant per exporter of schema.json's Export
pub enum Export {
    CacheOnly,
    Docker(Tarball),
    Image(ImageExport),
    Local(Destination),
    Oci(Tarball),
    Raw(String),
    /// The `image` exporter with `push` defaulting to true.
    Registry(ImageExport),
    Tar(Destination),
}

impl ExportInput {
    /// Whether the entry is switched off.
    pub fn is_disabled(&self) -> bool {
        self.disabled.unwrap_or(false)
    }

    /// The one exporter this entry names.
    pub fn validate(&self, path: &PropertyPath) -> Result<Export, InputFailure> {
        let ExportInput {
            cacheonly,
            disabled: _,
            docker,
            image,
            local,
            oci,
            raw,
            registry,
            tar,
        } = self.clone();
        let mut set: Vec<(&str, Export)> = [
            ("cacheonly", cacheonly.map(|_| Export::CacheOnly)),
            ("docker", docker.map(Export::Docker)),
            ("image", image.map(Export::Image)),
            ("local", local.map(Export::Local)),
            ("oci", oci.map(Export::Oci)),
            ("raw", raw.map(Export::Raw)),
            ("registry", registry.map(Export::Registry)),
            ("tar", tar.map(Export::Tar)),
        ]
        .into_iter()
        .filter_map(|(name, export)| export.map(|e| (name, e)))
        .collect();
        let export = match set.len() {
            1 => set.remove(0).1,
            0 => {
                return Err(InputFailure::new(
                    path.clone(),
                    "an export needs exactly one of: cacheonly, docker, image, local, oci, raw, registry, tar",
                ));
            }
            _ => {
                let names: Vec<String> = set.iter().map(|(n, _)| format!("`{n}`")).collect();
                return Err(InputFailure::new(
                    path.clone(),
                    format!(
                        "an export takes exactly one type, but {} are set; split it into several entries",
                        names.join(" and ")
                    ),
                ));
            }
        };
        match &export {
            Export::Local(d) | Export::Tar(d) if d.dest.trim().is_empty() => {
                let kind = if matches!(export, Export::Local(_)) {
                    "local"
                } else {
                    "tar"
                };
                Err(InputFailure::new(
                    path.field(kind).field("dest"),
                    "must not be empty",
                ))
            }
            Export::Raw(r) if r.trim().is_empty() => {
                Err(InputFailure::new(path.field("raw"), "must not be empty"))
            }
            _ => Ok(export),
        }
    }
}

/// Export-specific parts of an `--output` value.
impl Csv {
    fn names(self, names: &[String]) -> Self {
        if names.is_empty() {
            self
        } else {
            self.set("name", names.join(","))
        }
    }

    fn annotations(mut self, annotations: &BTreeMap<String, String>) -> Self {
        for (key, value) in annotations {
            self = self.set(&format!("annotation.{key}"), value);
        }
        self
    }

    fn image(self, settings: &ImageExport, push: Option<bool>) -> Self {
        let ImageExport {
            annotations,
            dangling_name_prefix,
            insecure,
            name_canonical,
            names,
            oci_media_types,
            push: _,
            push_by_digest,
            store,
            unpack,
            compression,
        } = settings;
        self.names(names)
            .opt("push", push)
            .opt("push-by-digest", *push_by_digest)
            .opt("registry.insecure", *insecure)
            .opt("dangling-name-prefix", dangling_name_prefix.as_ref())
            .opt("name-canonical", *name_canonical)
            .opt("unpack", *unpack)
            .opt("store", *store)
            .opt("oci-mediatypes", *oci_media_types)
            .compression(compression)
            .annotations(annotations)
    }

    fn tarball(self, settings: &Tarball) -> Self {
        let Tarball {
            annotations,
            dest,
            names,
            oci_media_types,
            tar,
            compression,
        } = settings;
        self.opt("dest", dest.as_ref())
            .opt("tar", *tar)
            .names(names)
            .opt("oci-mediatypes", *oci_media_types)
            .compression(compression)
            .annotations(annotations)
    }
}

impl Export {
    /// The `--output` value. In a preview nothing is pushed: registry and
    /// image exports render with `push=false`, and a raw export that would
    /// push is left out (`None`).
    pub fn render(&self, preview: bool) -> Option<String> {
        let push = |default: bool, given: Option<bool>| Some(!preview && given.unwrap_or(default));
        Some(match self {
            Export::CacheOnly => "type=cacheonly".to_owned(),
            Export::Docker(t) => Csv::new("docker").tarball(t).finish(),
            Export::Oci(t) => Csv::new("oci").tarball(t).finish(),
            Export::Image(s) => Csv::new("image").image(s, push(false, s.push)).finish(),
            Export::Registry(s) => Csv::new("image").image(s, push(true, s.push)).finish(),
            Export::Local(d) => Csv::new("local").set("dest", &d.dest).finish(),
            Export::Tar(d) => Csv::new("tar").set("dest", &d.dest).finish(),
            Export::Raw(raw) if preview && self.pushes() => return None,
            Export::Raw(raw) => raw.clone(),
        })
    }

    /// Whether this export pushes to a registry.
    pub fn pushes(&self) -> bool {
        match self {
            Export::Registry(settings) => settings.push.unwrap_or(true),
            Export::Image(settings) => settings.push.unwrap_or(false),
            Export::Raw(raw) => {
                raw.contains("type=registry") || raw.contains("push=true") || raw.contains("push=1")
            }
            _ => false,
        }
    }

    /// Names this export gives the image itself.
    pub fn names(&self) -> &[String] {
        match self {
            Export::Registry(s) | Export::Image(s) => &s.names,
            Export::Docker(t) | Export::Oci(t) => &t.names,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn export(json: serde_json::Value) -> Export {
        serde_json::from_value::<ExportInput>(json)
            .unwrap()
            .validate(&PropertyPath::key("exports").index(0))
            .unwrap()
    }

    #[test]
    fn renders_each_exporter() {
        let table = [
            (json!({"registry": {}}), "type=image,push=true"),
            (
                json!({"registry": {"names": ["r/a:1", "r/a:2"], "ociMediaTypes": true}}),
                r#"type=image,"name=r/a:1,r/a:2",push=true,oci-mediatypes=true"#,
            ),
            (
                json!({"image": {"push": true, "insecure": true}}),
                "type=image,push=true,registry.insecure=true",
            ),
            (json!({"image": {}}), "type=image,push=false"),
            (
                json!({"docker": {"dest": "out.tar"}}),
                "type=docker,dest=out.tar",
            ),
            (
                json!({"oci": {"dest": "o.tar", "tar": true, "annotations": {"org.x": "y"}}}),
                "type=oci,dest=o.tar,tar=true,annotation.org.x=y",
            ),
            (json!({"local": {"dest": "out"}}), "type=local,dest=out"),
            (json!({"tar": {"dest": "out.tar"}}), "type=tar,dest=out.tar"),
            (json!({"cacheonly": {}}), "type=cacheonly"),
            (json!({"raw": "type=local,dest=x"}), "type=local,dest=x"),
        ];
        for (input, expected) in table {
            assert_eq!(
                export(input.clone()).render(false).as_deref(),
                Some(expected),
                "{input}"
            );
        }
    }

    #[test]
    fn previews_never_push() {
        assert_eq!(
            export(json!({"registry": {}})).render(true).as_deref(),
            Some("type=image,push=false")
        );
        assert_eq!(
            export(json!({"image": {"push": true}}))
                .render(true)
                .as_deref(),
            Some("type=image,push=false")
        );
        assert_eq!(
            export(json!({"raw": "type=registry,name=r/a"})).render(true),
            None
        );
        assert_eq!(
            export(json!({"raw": "type=local,dest=x"}))
                .render(true)
                .as_deref(),
            Some("type=local,dest=x")
        );
    }

    #[test]
    fn zero_or_several_exporters_name_the_entry() {
        let failure = serde_json::from_value::<ExportInput>(json!({}))
            .unwrap()
            .validate(&PropertyPath::key("exports").index(3))
            .unwrap_err();
        assert_eq!(failure.property.to_string(), "exports[3]");
        let failure = serde_json::from_value::<ExportInput>(
            json!({"tar": {"dest": "a"}, "local": {"dest": "b"}}),
        )
        .unwrap()
        .validate(&PropertyPath::key("exports").index(0))
        .unwrap_err();
        assert!(
            failure.reason.contains("`local` and `tar`"),
            "{}",
            failure.reason
        );
    }
}
