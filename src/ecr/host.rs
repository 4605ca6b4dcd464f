//! Recognising AWS ECR registry hosts:
//! `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn][:port]`.

/// An ECR registry named by a host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcrRegistry {
    /// The 12-digit account id.
    pub account: String,
    /// The AWS region, e.g. `us-east-1`.
    pub region: String,
    /// The host as written (with port, if any).
    pub host: String,
}

/// The ECR registry `host` names, if it is one. A port is allowed so tests
/// can stand a local registry in for ECR.
pub fn parse_ecr_host(host: &str) -> Option<EcrRegistry> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => name,
        _ => host,
    };
    let name = name
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| name.strip_suffix(".amazonaws.com"))?;
    let mut parts = name.splitn(4, '.');
    let account = parts.next()?;
    let (dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?);
    let valid = account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && dkr == "dkr"
        && (ecr == "ecr" || ecr == "ecr-fips")
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid.then(|| EcrRegistry {
        account: account.to_owned(),
        region: region.to_owned(),
        host: host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_ecr_hosts() {
        let r = parse_ecr_host("681647709217.dkr.ecr.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            (r.account.as_str(), r.region.as_str()),
            ("681647709217", "us-east-1")
        );
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
                .unwrap()
                .region,
            "cn-north-1"
        );
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com")
                .unwrap()
                .region,
            "us-gov-west-1"
        );
        let local = parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com:5001").unwrap();
        assert_eq!(
            local.host,
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:5001"
        );
    }

    #[test]
    fn rejects_everything_else() {
        for host in [
            "docker.io",
            "127.0.0.1:5000",
            "12345.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "123456789012.ecr.us-east-1.amazonaws.com",
            "public.ecr.aws",
        ] {
            assert!(parse_ecr_host(host).is_none(), "{host}");
        }
    }
}
