//! Buildx's syntax for cache entries and exports: each model type written
//! as the CSV value of `--cache-from`, `--cache-to` or `--output`, with
//! BuildKit's own attribute names (the build engine reads them back into a
//! solve's entries, `crate::buildkit::translate`) and
//! every setting the user gave (the Go provider dropped `mode` on local
//! exports and `compression` without a level).

use std::collections::BTreeMap;

use super::csv::Csv;
use crate::model::cache::{
    AzureBlob, CacheFrom, CacheTo, ExportSettings, LocalTo, RegistryTo, S3, given,
};
use crate::model::export::{Export, ImageExport, Tarball};

/// Whether a secret setting is written into a rendered entry: only for
/// the solve request, held in memory; never into text that is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretAttributes {
    /// Leave secret attributes out (what is logged or compared).
    Omit,
    /// Write them: for the solve request only.
    Include,
}

/// A cache entry as buildx reads it.
pub trait CacheSyntax {
    /// The entry, secret attributes as `secrets` says.
    fn render_with(&self, secrets: SecretAttributes) -> String;

    /// The `--cache-from`/`--cache-to` value, without secret attributes.
    fn render(&self) -> String {
        self.render_with(SecretAttributes::Omit)
    }
}

// ------------------------------------------------------------------- caches

/// Cache-specific parts of a `--cache-from`/`--cache-to` value.
impl Csv {
    fn export(self, settings: &ExportSettings) -> Self {
        let ExportSettings { mode, ignore_error } = settings;
        self.opt("mode", mode.as_ref())
            .opt("ignore-error", *ignore_error)
    }

    fn s3(self, s3: &S3, secrets: SecretAttributes) -> Self {
        let S3 {
            bucket,
            region,
            name,
            endpoint_url,
            blobs_prefix,
            manifests_prefix,
            use_path_style,
            access_key_id,
            secret_access_key,
            session_token,
            export,
        } = s3;
        let secret = |value| given(value).filter(|_| secrets == SecretAttributes::Include);
        self.set("bucket", bucket)
            .opt("region", Some(region).filter(|r| !r.is_empty()))
            .opt("name", name.as_ref())
            .opt("endpoint_url", endpoint_url.as_ref())
            .opt("blobs_prefix", blobs_prefix.as_ref())
            .opt("manifests_prefix", manifests_prefix.as_ref())
            .opt("use_path_style", *use_path_style)
            .opt("access_key_id", given(access_key_id))
            .opt("secret_access_key", secret(secret_access_key))
            .opt("session_token", secret(session_token))
            .export(export)
    }

    fn azblob(self, blob: &AzureBlob, secrets: SecretAttributes) -> Self {
        let AzureBlob {
            name,
            account_url,
            secret_access_key,
            export,
        } = blob;
        let key = given(secret_access_key).filter(|_| secrets == SecretAttributes::Include);
        self.opt("account_url", account_url.as_ref())
            .set("name", name)
            .opt("secret_access_key", key)
            .export(export)
    }
}

impl CacheSyntax for CacheFrom {
    fn render_with(&self, secrets: SecretAttributes) -> String {
        match self {
            CacheFrom::Registry(r) => Csv::new("registry").set("ref", &r.reference).finish(),
            CacheFrom::Local(l) => Csv::new("local")
                .set("src", &l.src)
                .opt("digest", l.digest.as_ref())
                .finish(),
            CacheFrom::Gha(g) => Csv::new("gha")
                .set("scope", g.scope.as_deref().unwrap_or("buildkit"))
                .finish(),
            CacheFrom::S3(s3) => Csv::new("s3")
                .s3(
                    &S3 {
                        export: ExportSettings::default(),
                        ..s3.clone()
                    },
                    secrets,
                )
                .finish(),
            CacheFrom::AzBlob(b) => Csv::new("azblob")
                .azblob(
                    &AzureBlob {
                        export: ExportSettings::default(),
                        ..b.clone()
                    },
                    secrets,
                )
                .finish(),
            CacheFrom::Raw(raw) => raw.clone(),
        }
    }
}

impl CacheSyntax for CacheTo {
    fn render_with(&self, secrets: SecretAttributes) -> String {
        match self {
            CacheTo::Registry(r) => {
                let RegistryTo {
                    reference,
                    oci_media_types,
                    image_manifest,
                    export,
                    compression,
                } = r;
                Csv::new("registry")
                    .set("ref", reference)
                    .export(export)
                    .opt("oci-mediatypes", *oci_media_types)
                    .opt("image-manifest", *image_manifest)
                    .compression(compression)
                    .finish()
            }
            CacheTo::Local(l) => {
                let LocalTo {
                    dest,
                    export,
                    compression,
                } = l;
                Csv::new("local")
                    .set("dest", dest)
                    .export(export)
                    .compression(compression)
                    .finish()
            }
            CacheTo::Gha(g) => Csv::new("gha")
                .set("scope", g.scope.as_deref().unwrap_or("buildkit"))
                .export(&g.export)
                .finish(),
            CacheTo::S3(s3) => Csv::new("s3").s3(s3, secrets).finish(),
            CacheTo::AzBlob(b) => Csv::new("azblob").azblob(b, secrets).finish(),
            CacheTo::Inline => "type=inline".to_owned(),
            CacheTo::Raw(raw) => raw.clone(),
        }
    }
}

// ------------------------------------------------------------------ exports

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

/// An export as buildx reads it.
pub trait ExportSyntax {
    /// The `--output` value; `None` for an export a preview must skip.
    fn render(&self, preview: bool) -> Option<String>;
}

impl ExportSyntax for Export {
    /// The `--output` value. In a preview nothing is pushed: registry and
    /// image exports render with `push=false`, and a raw export that would
    /// push is left out (`None`).
    fn render(&self, preview: bool) -> Option<String> {
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
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
