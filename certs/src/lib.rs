#![doc = include_str!("../README.md")]

pub mod assertions;
#[cfg(feature = "dev-ca")]
mod dev_ca;
mod error;
mod identity;
mod ingredient;
mod inspect;
mod issue;
mod request;

#[cfg(feature = "dev-ca")]
pub use dev_ca::{DevCaPaths, init_dev_ca, init_dev_ca_for, rotate_dev_signer};
pub use error::{CertError, Result};
pub use identity::{DEFAULT_EMBED_LIMIT, SigningIdentity};
pub use inspect::{CertificateView, inspect};
pub use issue::{SIDECAR_FORMAT, issue, issue_embedded};
pub use request::{
    Action, CertificateRequest, Ingredient, IngredientRelation, IssuedCertificate, Subject, TRAINED_ALGORITHMIC_MEDIA,
};

#[cfg(all(test, feature = "dev-ca"))]
mod tests;
