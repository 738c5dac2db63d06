//! TLS towards an `https://` server (bidroom behind a TLS-terminating proxy): one rustls
//! client configuration for the REST client and every WebSocket (`wss://`) connection.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

/// The client configuration for `server`: `None` for `http://`. The server's certificate
/// must chain to a root in `ca_file` (a private CA), or without it to one of the system's.
pub fn for_server(
    server: &str,
    ca_file: Option<&Path>,
) -> anyhow::Result<Option<Arc<ClientConfig>>> {
    if server.starts_with("http://") {
        if ca_file.is_some() {
            bail!("--ca-file is for an https:// --server; {server} is plain HTTP");
        }
        return Ok(None);
    }
    if !server.starts_with("https://") {
        bail!("--server is an http:// or https:// URL, not {server}");
    }
    let roots = match ca_file {
        Some(path) => roots_from(path)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("rustls's protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}

fn roots_from(path: &Path) -> anyhow::Result<RootCertStore> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| anyhow::anyhow!("--ca-file {}: {error}", path.display()))?;
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).with_context(|| {
            format!("--ca-file {}: a certificate rustls refuses", path.display())
        })?;
    }
    if roots.is_empty() {
        bail!("--ca-file {}: no PEM certificate in it", path.display());
    }
    Ok(roots)
}

fn system_roots() -> anyhow::Result<RootCertStore> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(loaded.certs);
    if roots.is_empty() {
        let errors: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        bail!(
            "no system root certificates could be read ({}); give the server's CA with --ca-file",
            errors.join("; ")
        );
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_needs_no_tls_and_takes_no_ca_file() {
        assert!(for_server("http://127.0.0.1:8080", None).unwrap().is_none());
        let error = for_server("http://127.0.0.1:8080", Some(Path::new("/ca.pem"))).unwrap_err();
        assert!(error.to_string().contains("plain HTTP"), "{error}");
    }

    #[test]
    fn other_schemes_are_refused() {
        let error = for_server("ws://127.0.0.1:8080", None).unwrap_err();
        assert!(error.to_string().contains("http:// or https://"), "{error}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("ca.pem");
        std::fs::write(&path, "nothing here\n").unwrap();
        let error = for_server("https://localhost:8443", Some(&path)).unwrap_err();
        assert!(error.to_string().contains("no PEM certificate"), "{error}");
        let missing = directory.path().join("missing.pem");
        let error = for_server("https://localhost:8443", Some(&missing)).unwrap_err();
        assert!(error.to_string().contains("missing.pem"), "{error}");
    }
}
