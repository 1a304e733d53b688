//! C2PA "birth certificates" for registry records.
//!
//! Every dataset, model version, licence and token the registry records gets a
//! C2PA manifest store (a `.c2pa` sidecar) signed with the registry's
//! [`SigningIdentity`]. The manifest is bound by **data hash** to the bytes the
//! record describes — model weights, dataset content, a generated asset — even
//! though the registry usually never holds those bytes: the record gives their
//! SHA-256, and the `c2pa.hash.data` assertion states exactly that hash over the
//! whole asset, with no exclusion ranges. Anyone holding the bytes and the sidecar
//! can check the binding with an independent C2PA validator — c2pa-python's
//! `Reader(format, asset_stream, manifest_data=sidecar_bytes)`, with the registry's
//! CA as trust anchor, reports `Trusted` and `assertion.dataHash.match` (see
//! `scripts/c2pa_validate.py` and `tests/certs.rs`); one changed byte yields
//! `assertion.dataHash.mismatch` and `Invalid`.
//!
//! The asset's MIME type is recorded in `org.provreg.record` (C2PA 2.x claims carry
//! no format of their own). Bytes C2PA has no media type for (weights, dataset
//! archives) are `application/octet-stream`: a data hash over the whole file needs
//! nothing from the container, and c2pa-python 0.38 validates such a sidecar under
//! any format hint it is given (`application/octet-stream`, a vendor type, or none)
//! because it finds no embedded manifest container in the bytes.
//!
//! What a manifest says (see [`issue`]):
//! - `c2pa.actions` — `c2pa.created` for new records (with a `digitalSourceType`
//!   chosen by [`Subject`]; generated tokens use IPTC `trainedAlgorithmicMedia`),
//!   `c2pa.opened` + `c2pa.edited` for a retrained or fine-tuned model version;
//! - `org.provreg.record`, `org.provreg.lineage`, `org.provreg.license` — our
//!   labelled assertions (see [`assertions`]);
//! - `cawg.training-mining` — training and data-mining permissions derived from
//!   the licence's AI-training permission;
//! - ingredients — a retrained version's parent as `parentOf`, training datasets and
//!   a token's model version as `inputTo`. An ingredient carries its whole manifest
//!   store when that store is at most [`DEFAULT_EMBED_LIMIT`] (64 KiB), so the nearest
//!   lineage is readable from the certificate alone; a bigger one (the head of a long
//!   chain) is referred to by the SHA-256 of its store, which the log commits to and
//!   anchors, so certificates stay bounded however deep the lineage grows;
//! - `org.provreg.ingredients` — every ingredient's certificate digest, embedded or not.
//!
//! Signing is offline (no timestamp authority). A development CA and signer are
//! made by [`init_dev_ca`]; production loads PEM files.

pub mod assertions;
mod dev_ca;
mod error;
mod identity;
mod ingredient;
mod inspect;
mod issue;
mod request;

pub use dev_ca::{DevCaPaths, init_dev_ca, rotate_dev_signer};
pub use error::{CertError, Result};
pub use identity::{DEFAULT_EMBED_LIMIT, SigningIdentity};
pub use inspect::{CertificateView, inspect};
pub use issue::{SIDECAR_FORMAT, issue, issue_embedded};
pub use request::{
    Action, CertificateRequest, Ingredient, IngredientRelation, IssuedCertificate, Subject, TRAINED_ALGORITHMIC_MEDIA,
};

#[cfg(test)]
mod tests;
