//! A development certificate authority and signing certificate, made on first use.
//!
//! The profile is the one C2PA validators accept: a P-256 CA (basicConstraints
//! CA:TRUE, pathLen 0, keyUsage keyCertSign + cRLSign, subject key identifier) and
//! a P-256 end-entity certificate (basicConstraints CA:FALSE, keyUsage
//! digitalSignature marked critical, extendedKeyUsage emailProtection, subject and
//! authority key identifiers). These certificates are for development and tests
//! only: production deployments load their own chain with
//! [`SigningIdentity::from_pem_files`](super::SigningIdentity::from_pem_files).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, Utc};
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, SerialNumber,
};

use super::error::{CertError, Result};

/// The files of a development CA directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCaPaths {
    /// The CA certificate (PEM): the trust anchor validators need.
    pub ca_cert: PathBuf,
    /// The CA private key (PKCS#8 PEM, mode 0600).
    pub ca_key: PathBuf,
    /// The signing certificate followed by the CA certificate (PEM).
    pub signer_chain: PathBuf,
    /// The signing private key (PKCS#8 PEM, mode 0600).
    pub signer_key: PathBuf,
}

impl DevCaPaths {
    fn in_dir(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            signer_chain: dir.join("signer-chain.pem"),
            signer_key: dir.join("signer.key"),
        }
    }
}

const CA_YEARS: i32 = 10;
const SIGNER_YEARS: i32 = 2;

/// Creates, if absent, a development CA and an ES256 signing certificate in `dir`:
/// `ca.pem`, `ca.key` (mode 0600), `signer-chain.pem` and `signer.key` (mode 0600).
///
/// Idempotent: existing files are kept. A CA certificate without its key (or the
/// reverse) is an error rather than silently replaced.
pub fn init_dev_ca(dir: &Path) -> Result<DevCaPaths> {
    init_dev_ca_for(dir, CA_YEARS, SIGNER_YEARS)
}

/// [`init_dev_ca`] with a CA valid for `ca_years` and a signer valid for `signer_years`
/// (from yesterday): for test fixtures that are checked in and must keep validating.
pub fn init_dev_ca_for(dir: &Path, ca_years: i32, signer_years: i32) -> Result<DevCaPaths> {
    let paths = DevCaPaths::in_dir(dir);
    let (ca_pem, ca_key) = load_or_create_ca(dir, &paths, ca_years)?;
    match (paths.signer_chain.exists(), paths.signer_key.exists()) {
        (true, true) => {}
        (false, false) => issue_signer(&paths, &ca_pem, ca_key, signer_years)?,
        _ => {
            return Err(CertError::DevCa(format!(
                "{} and {} must both exist or both be absent",
                paths.signer_chain.display(),
                paths.signer_key.display()
            )));
        }
    }
    Ok(paths)
}

/// Issues a new signing certificate and key under the existing CA of `dir`
/// (creating the CA if there is none). Certificates signed with the previous
/// signing key stay valid: they chain to the same CA.
pub fn rotate_dev_signer(dir: &Path) -> Result<DevCaPaths> {
    let paths = DevCaPaths::in_dir(dir);
    let (ca_pem, ca_key) = load_or_create_ca(dir, &paths, CA_YEARS)?;
    issue_signer(&paths, &ca_pem, ca_key, SIGNER_YEARS)?;
    Ok(paths)
}

fn load_or_create_ca(dir: &Path, paths: &DevCaPaths, years: i32) -> Result<(String, KeyPair)> {
    fs::create_dir_all(dir).map_err(|e| CertError::io("creating", dir, e))?;
    match (paths.ca_cert.exists(), paths.ca_key.exists()) {
        (true, true) => {
            let cert = read_text(&paths.ca_cert)?;
            let key =
                KeyPair::from_pem(&read_text(&paths.ca_key)?).map_err(|e| CertError::DevCa(format!("CA key: {e}")))?;
            Ok((cert, key))
        }
        (false, false) => {
            let key = new_key()?;
            let mut params = base_params("provreg development CA", years)?;
            params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let cert =
                params.self_signed(&key).map_err(|e| CertError::DevCa(format!("signing the CA certificate: {e}")))?;
            write_private(&paths.ca_key, &key.serialize_pem())?;
            write_public(&paths.ca_cert, &cert.pem())?;
            Ok((cert.pem(), key))
        }
        _ => Err(CertError::DevCa(format!(
            "{} and {} must both exist or both be absent",
            paths.ca_cert.display(),
            paths.ca_key.display()
        ))),
    }
}

fn issue_signer(paths: &DevCaPaths, ca_pem: &str, ca_key: KeyPair, years: i32) -> Result<()> {
    let issuer =
        Issuer::from_ca_cert_pem(ca_pem, ca_key).map_err(|e| CertError::DevCa(format!("CA certificate: {e}")))?;
    let key = new_key()?;
    let mut params = base_params("provreg development signer", years)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| CertError::DevCa(format!("signing the signer certificate: {e}")))?;
    // Key first: a reader that sees the new chain with the old key is refused by
    // `SigningIdentity::from_pem`, never silently mis-signs.
    write_private(&paths.signer_key, &key.serialize_pem())?;
    write_public(&paths.signer_chain, &format!("{}{}", cert.pem(), ca_pem))?;
    Ok(())
}

fn new_key() -> Result<KeyPair> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| CertError::DevCa(format!("generating a P-256 key: {e}")))
}

/// Parameters shared by both certificates: subject, validity from yesterday for
/// `years` years, a random positive 128-bit serial number.
fn base_params(common_name: &str, years: i32) -> Result<CertificateParams> {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.distinguished_name.push(DnType::OrganizationName, "provreg (development only)");
    let start = Utc::now() - Duration::days(1);
    let month = u8::try_from(start.month()).map_err(|_| CertError::DevCa("bad month".into()))?;
    let day = u8::try_from(start.day().min(28)).map_err(|_| CertError::DevCa("bad day".into()))?;
    params.not_before = rcgen::date_time_ymd(start.year(), month, day);
    params.not_after = rcgen::date_time_ymd(start.year() + years, month, day);
    let mut serial = [0u8; 16];
    rand::rng().fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    Ok(params)
}

fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| CertError::io("reading", path, e))
}

fn write_public(path: &Path, text: &str) -> Result<()> {
    write_atomically(path, text, 0o644)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    write_atomically(path, text, 0o600)
}

/// Writes `text` to a temporary file beside `path` with `mode`, then renames it
/// over `path`, so readers never see a half-written file.
fn write_atomically(path: &Path, text: &str, mode: u32) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    // A stale temporary file would keep its old permissions: start afresh.
    let _ = fs::remove_file(&tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(|e| CertError::io("creating", &tmp, e))?;
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| CertError::io("writing", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| CertError::io("renaming to", path, e))
}
