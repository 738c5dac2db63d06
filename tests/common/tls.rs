//! A certificate authority made for one test: a root, and the certificates it signs (for
//! `localhost` and 127.0.0.1), written as PEM files in a temporary directory.
//!
//! The load tester's tests include this file too (`#[path]`): it needs only `rcgen` and
//! `tempfile`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// The names every certificate the test CA issues is valid for.
pub const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

pub struct TestCa {
    directory: tempfile::TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// The root certificate (PEM): what a client trusts.
    pub root_file: PathBuf,
}

/// A certificate and its private key, as PEM text and as files.
pub struct Issued {
    pub certificate_pem: String,
    pub key_pem: String,
    pub certificate_file: PathBuf,
    pub key_file: PathBuf,
}

impl TestCa {
    /// A new root named `name`, with a fresh key.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("a self-signed root");
        let directory = tempfile::tempdir().expect("a temporary directory");
        let root_file = directory.path().join("root.pem");
        std::fs::write(&root_file, issuer.pem()).expect("write the root certificate");
        TestCa {
            directory,
            issuer,
            root_file,
        }
    }

    pub fn directory(&self) -> &Path {
        self.directory.path()
    }

    /// A server certificate for [`NAMES`].
    pub fn issue_server(&self, file_stem: &str) -> Issued {
        self.issue(file_stem, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate (for mutual TLS).
    pub fn issue_client(&self, file_stem: &str) -> Issued {
        self.issue(file_stem, ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(&self, file_stem: &str, purpose: ExtendedKeyUsagePurpose) -> Issued {
        let names: Vec<String> = NAMES.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("certificate parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, file_stem);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![purpose];
        let key = KeyPair::generate().expect("a key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("a certificate signed by the test CA");
        let issued = Issued {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
            certificate_file: self.directory.path().join(format!("{file_stem}.pem")),
            key_file: self.directory.path().join(format!("{file_stem}.key")),
        };
        std::fs::write(&issued.certificate_file, &issued.certificate_pem)
            .expect("write the certificate");
        std::fs::write(&issued.key_file, &issued.key_pem).expect("write the key");
        issued
    }
}
