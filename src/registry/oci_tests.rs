use super::*;

fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn image(c: char, media_type: &str, architecture: &str) -> Resolved {
    Resolved {
        descriptor: Descriptor {
            media_type: media_type.to_owned(),
            digest: digest(c),
            size: 100,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            platform: Some(Platform {
                architecture: architecture.to_owned(),
                os: "linux".to_owned(),
                ..Platform::default()
            }),
            artifact_type: None,
        },
        body: Vec::new(),
        entries: Vec::new(),
    }
}

fn index_of(entries: Vec<Descriptor>, media_type: &str) -> Resolved {
    let index = Index {
        schema_version: 2,
        media_type: media_type.to_owned(),
        artifact_type: None,
        manifests: entries.clone(),
        subject: None,
        annotations: BTreeMap::new(),
    };
    let body = serde_json::to_vec(&index).unwrap();
    Resolved {
        descriptor: Descriptor {
            media_type: media_type.to_owned(),
            digest: digest_of(&body),
            size: body.len() as u64,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            data: None,
            platform: None,
            artifact_type: None,
        },
        body,
        entries,
    }
}

#[test]
fn two_docker_images_make_a_docker_manifest_list_as_go_would_print_it() {
    let joined = combine(&[
        image('a', DOCKER_MANIFEST, "amd64"),
        image('b', DOCKER_MANIFEST, "arm64"),
    ])
    .unwrap();
    assert_eq!(joined.media_type, DOCKER_LIST);
    let expected = format!(
        r#"{{
  "schemaVersion": 2,
  "mediaType": "{DOCKER_LIST}",
  "manifests": [
    {{
      "mediaType": "{DOCKER_MANIFEST}",
      "digest": "{}",
      "size": 100,
      "platform": {{
        "architecture": "amd64",
        "os": "linux"
      }}
    }},
    {{
      "mediaType": "{DOCKER_MANIFEST}",
      "digest": "{}",
      "size": 100,
      "platform": {{
        "architecture": "arm64",
        "os": "linux"
      }}
    }}
  ]
}}"#,
        digest('a'),
        digest('b')
    );
    assert_eq!(String::from_utf8(joined.body.clone()).unwrap(), expected);
    assert_eq!(joined.digest, digest_of(expected.as_bytes()));
    let sources: Vec<usize> = joined.entries.iter().map(|(_, s)| *s).collect();
    assert_eq!(sources, [0, 1]);
}

#[test]
fn one_oci_entry_makes_an_oci_index() {
    let joined = combine(&[
        image('a', DOCKER_MANIFEST, "amd64"),
        image('b', OCI_MANIFEST, "arm64"),
    ])
    .unwrap();
    assert_eq!(joined.media_type, OCI_INDEX);
    let parsed: Index = serde_json::from_slice(&joined.body).unwrap();
    assert_eq!(parsed.media_type, OCI_INDEX);
    assert_eq!(parsed.manifests.len(), 2);
}

#[test]
fn an_index_source_contributes_its_entries_and_repeated_digests_merge() {
    let mut attestation = image('c', OCI_MANIFEST, "unknown").descriptor;
    attestation.platform = Some(Platform {
        architecture: "unknown".into(),
        os: "unknown".into(),
        ..Platform::default()
    });
    attestation.annotations.insert(
        "vnd.docker.reference.type".into(),
        "attestation-manifest".into(),
    );
    let listed = index_of(
        vec![image('a', OCI_MANIFEST, "amd64").descriptor, attestation],
        OCI_INDEX,
    );
    let mut again = image('a', OCI_MANIFEST, "amd64");
    again
        .descriptor
        .annotations
        .insert("org.opencontainers.image.ref.name".into(), "x".into());
    let joined = combine(&[listed, again, image('b', OCI_MANIFEST, "arm64")]).unwrap();
    let digests: Vec<&str> = joined
        .entries
        .iter()
        .map(|(d, _)| d.digest.as_str())
        .collect();
    assert_eq!(digests, [digest('a'), digest('c'), digest('b')]);
    // The merged entry keeps the annotation of its second mention, and
    // is copied from the source that mentioned it last.
    assert_eq!(joined.entries[0].0.annotations.len(), 1);
    assert_eq!(joined.entries[0].1, 1);
    assert_eq!(joined.entries[1].1, 0);
}

#[test]
fn a_single_index_is_pushed_as_it_is_and_a_single_image_becomes_an_index() {
    let listed = index_of(
        vec![
            image('a', DOCKER_MANIFEST, "amd64").descriptor,
            image('b', DOCKER_MANIFEST, "arm64").descriptor,
        ],
        DOCKER_LIST,
    );
    let joined = combine(std::slice::from_ref(&listed)).unwrap();
    assert_eq!(joined.body, listed.body);
    assert_eq!(joined.digest, listed.descriptor.digest);
    assert_eq!(joined.entries.len(), 2);

    let single = combine(&[image('a', OCI_MANIFEST, "amd64")]).unwrap();
    assert_eq!(single.media_type, OCI_INDEX);
    let parsed: Index = serde_json::from_slice(&single.body).unwrap();
    assert_eq!(parsed.manifests[0].digest, digest('a'));
}

#[test]
fn platforms_are_normalized_as_containerd_does() {
    let platform = |architecture: &str, variant: &str| {
        normalized_platform(&ConfigPlatform {
            architecture: architecture.into(),
            os: "Linux".into(),
            variant: variant.into(),
        })
    };
    let x86 = platform("x86_64", "");
    assert_eq!(
        (x86.architecture.as_str(), x86.os.as_str()),
        ("amd64", "linux")
    );
    assert_eq!(platform("aarch64", "v8").variant, "");
    assert_eq!(platform("arm", "").variant, "v7");
    assert_eq!(platform("arm", "6").variant, "v6");
    assert_eq!(platform("amd64", "v3").variant, "v3");
    assert_eq!(platform("riscv64", "").architecture, "riscv64");
}

#[test]
fn media_types_are_read_from_the_document_when_the_header_is_missing() {
    let oci_index = br#"{"schemaVersion":2,"manifests":[]}"#;
    assert_eq!(declared_media_type(oci_index).as_deref(), Some(OCI_INDEX));
    let declared =
        format!(r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{}}}}"#);
    assert_eq!(
        declared_media_type(declared.as_bytes()).as_deref(),
        Some(DOCKER_MANIFEST)
    );
    assert_eq!(declared_media_type(b"not json"), None);
}
