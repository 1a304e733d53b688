#![doc = include_str!("../README.md")]

mod anchors;
mod api_key;
mod beacon;
mod circuit;
pub mod client;
mod deploy;
mod error;
mod model_version;
pub mod onchain;
mod progress;
mod queries;
mod registry_error;
mod resolve;
mod run;
pub mod spec;
mod summary;
mod token;

pub use api_key::{API_KEY_ENV, DEV_KEY_FILE, api_key};
pub use client::Client;
pub use deploy::{DeployRequest, Deployed, deploy};
pub use error::{CollectionError, Result};
pub use onchain::{
    ChainOptions, ChainSources, CollectionReport, DEV_CHAIN_URL_FILE, DEV_MINTER_KEY_FILE, MINTER_KEY_ENV, MintReport,
    chain_options,
};
pub use provreg_render::{PALETTE_8X8, PIXEL_BANDS, render_png};
pub use registry_error::{ErrorDetail, RegistryError};
pub use run::{RunOptions, run};
pub use spec::Spec;
pub use summary::{AnchorReport, AnchorState, Summary, TokenOutcome, TokenResult};
pub use token::proof_input;
