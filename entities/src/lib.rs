#![doc = include_str!("../README.md")]

pub mod anchor;
pub mod anchor_tree;
pub mod api_key;
pub mod certificate;
pub mod dataset;
pub mod dataset_derivation;
pub mod license;
pub mod log_entry;
pub mod model;
pub mod model_version;
pub mod status_event;
pub mod training_input;
