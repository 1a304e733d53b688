//! Integration tests through HTTP, each on a fresh SQLite file and on a fresh PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod helpers;
mod zk;

mod anchor_deploy;
mod anchoring;
mod artwork;
mod as_of;
mod auth;
mod certificates;
mod collection;
mod collection_evidence;
mod collections;
mod compliance;
mod dev_chain;
mod evidence;
mod explorer;
mod exports;
mod fsck;
mod impact;
mod import;
mod limits;
mod lineage;
mod memory;
mod metrics;
mod mints;
mod onchain_run;
mod outbox;
mod pagination;
mod process;
mod rate_limits;
mod registration;
mod sdl;
mod search;
mod seeds;
mod tokens;
mod validation;
