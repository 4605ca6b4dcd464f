//! A Docker engine behind TLS, reached as the Docker CLI reaches it:
//! `DOCKER_TLS_VERIFY` (any non-empty value) checks the engine's
//! certificate against `ca.pem` and presents `cert.pem`/`key.pem`, all in
//! `DOCKER_CERT_PATH` (the Docker configuration directory when unset);
//! `DOCKER_TLS` alone encrypts without checking the engine, presenting the
//! client certificate when there is one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// How the environment asks to reach a `tcp://` engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineTls {
    /// Plain TCP.
    None,
    /// TLS; the engine's certificate checked or not; files from this
    /// directory.
    Tls {
        /// Check the engine's certificate against `ca.pem`.
        verify: bool,
        /// Where `ca.pem`, `cert.pem` and `key.pem` are.
        dir: PathBuf,
    },
}

/// What the environment says, as the Docker CLI reads it.
pub fn from_environment() -> EngineTls {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let (verify, tls) = (set("DOCKER_TLS_VERIFY"), set("DOCKER_TLS"));
    if !verify && !tls {
        return EngineTls::None;
    }
    let dir = std::env::var_os("DOCKER_CERT_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(crate::credential::host_config_dir)
        .unwrap_or_default();
    EngineTls::Tls { verify, dir }
}

/// Connects to the engine at `address` (`host:port`) over TLS.
pub async fn connect(
    address: &str,
    (verify, dir): (bool, &Path),
) -> std::io::Result<TlsStream<tokio::net::TcpStream>> {
    let config = client_config(verify, dir)?;
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_owned()).map_err(std::io::Error::other)?;
    let tcp = tokio::net::TcpStream::connect(address).await?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

fn client_config(verify: bool, dir: &Path) -> std::io::Result<ClientConfig> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::metadata(&path).map(|_| path)
    };
    let builder = if verify {
        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(read("ca.pem")?).map_err(invalid)? {
            roots.add(certificate.map_err(invalid)?).map_err(invalid)?;
        }
        ClientConfig::builder().with_root_certificates(roots)
    } else {
        ClientConfig::builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(unchecked::Unchecked::new()))
    };
    match (read("cert.pem"), read("key.pem")) {
        (Ok(cert), Ok(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(invalid)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(invalid)?;
            builder.with_client_auth_cert(chain, key).map_err(invalid)
        }
        _ if verify => Err(std::io::Error::other(format!(
            "DOCKER_TLS_VERIFY needs cert.pem and key.pem in {}",
            dir.display()
        ))),
        _ => Ok(builder.with_no_client_auth()),
    }
}

fn invalid(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string())
}

/// `DOCKER_TLS` without `DOCKER_TLS_VERIFY`: the engine's certificate is
/// taken as it is, as the Docker CLI takes it (signatures still checked).
mod unchecked {
    use tokio_rustls::rustls::client::danger::{
        HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
    };
    use tokio_rustls::rustls::crypto::{
        CryptoProvider, verify_tls12_signature, verify_tls13_signature,
    };
    use tokio_rustls::rustls::{DigitallySignedStruct, Error, SignatureScheme};

    use super::{CertificateDer, ServerName, rustls};

    #[derive(Debug)]
    pub struct Unchecked(CryptoProvider);

    impl Unchecked {
        pub fn new() -> Unchecked {
            Unchecked(
                CryptoProvider::get_default()
                    .map(|p| (**p).clone())
                    .unwrap_or_else(rustls::crypto::aws_lc_rs::default_provider),
            )
        }
    }

    impl ServerCertVerifier for Unchecked {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: rustls_pki_types::UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
