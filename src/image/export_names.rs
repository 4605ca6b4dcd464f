//! The names an export gives the image, parsed at Check: a typed export's
//! `names` (each failure at its own index) and a raw export's `name`
//! attribute. A name that is no image reference fails the preview, not
//! the build; a raw export that names its image pushes without `tags`, as
//! the official provider's does.

use crate::build::csv::attributes;
use crate::failure::InputFailure;
use crate::model::Reference;
use crate::model::export::Export;
use crate::wire::PropertyPath;

/// An enabled export and the names it gives the image.
pub(super) struct NamedExport {
    /// The export, validated.
    pub export: Export,
    /// Its names, parsed.
    pub names: Vec<Reference>,
    /// Whether it is an image exporter (`image`, `registry`, or a raw
    /// entry of either type): the one a push goes through.
    pub image: bool,
}

impl NamedExport {
    /// `export` at `path` with its names parsed.
    pub fn parse(export: Export, path: &PropertyPath) -> Result<NamedExport, InputFailure> {
        let (names, image) = match &export {
            Export::Raw(raw) => raw_names(raw, &path.field("raw"))?,
            Export::Registry(s) => (typed_names(&s.names, &path.field("registry"))?, true),
            Export::Image(s) => (typed_names(&s.names, &path.field("image"))?, true),
            Export::Docker(t) => (typed_names(&t.names, &path.field("docker"))?, false),
            Export::Oci(t) => (typed_names(&t.names, &path.field("oci"))?, false),
            _ => (Vec::new(), false),
        };
        Ok(NamedExport {
            export,
            names,
            image,
        })
    }
}

/// The names of the image export a push goes through when the image has
/// no `tags`: the first image export that pushes (all of them do with
/// `push: true`), as the build's exporters are set up.
pub(super) fn pushed_names(exports: &[NamedExport], push: bool) -> Vec<Reference> {
    (exports.iter())
        .find(|e| e.image && (push || e.export.pushes()))
        .map_or_else(Vec::new, |e| e.names.clone())
}

/// Each of `names` (under `path`'s `names`) as a reference.
fn typed_names(names: &[String], path: &PropertyPath) -> Result<Vec<Reference>, InputFailure> {
    let names_path = path.field("names");
    let parse = |(i, name): (usize, &String)| {
        Reference::parse(name).map_err(|why| InputFailure::new(names_path.index(i), why))
    };
    names.iter().enumerate().map(parse).collect()
}

/// A raw export's `name` attribute (several names separated by commas)
/// and whether its type is an image exporter. A raw entry without a type
/// is a local destination's shorthand: it names nothing.
fn raw_names(raw: &str, path: &PropertyPath) -> Result<(Vec<Reference>, bool), InputFailure> {
    let Ok((kind, attrs)) = attributes(raw) else {
        return Ok((Vec::new(), false));
    };
    let image = matches!(kind.as_str(), "image" | "registry");
    let Some(names) = attrs.get("name").filter(|n| !n.trim().is_empty()) else {
        return Ok((Vec::new(), image));
    };
    let parse = |name: &str| {
        Reference::parse(name.trim()).map_err(|why| {
            InputFailure::new(
                path.clone(),
                format!("the export's name `{name}` is not an image reference: {why}"),
            )
        })
    };
    let names = names.split(',').map(parse).collect::<Result<_, _>>()?;
    Ok((names, image))
}
