//! `provreg export …`: the exports from the configured database, to standard output or a
//! file. The same code as `GET /exports/…` and the GraphQL fields, so the same checks: a bad
//! option is an error naming it, and nothing is written.
use std::path::PathBuf;

use anyhow::{Context, Result};
use provreg_schema::RecordKind;

use super::http::{IMPACT_KINDS, LINEAGE_KINDS};
use crate::service::Registry;
use crate::service::as_of::AsOf;

/// `provreg export …`
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// A record's lineage as W3C PROV-O in JSON-LD (application/ld+json).
    Prov(LineageArgs),
    /// A record's lineage nodes as CSV (id, kind, name, version, status, digest, depth,
    /// direction, and the anchored log state).
    LineageCsv(LineageCsvArgs),
    /// What a licence, dataset or model version reaches downstream, with the affected
    /// tokens, as CSV.
    ImpactCsv(ImpactArgs),
    /// Registered training runs as OpenLineage run events (a JSON array): one model version's,
    /// or every one's.
    Openlineage(OpenLineageArgs),
    /// A draft of a model version's EU AI Act public summary of training content (template
    /// of July 2025), as JSON or with --markdown as a Markdown document.
    TrainingSummary(SummaryArgs),
}

/// Options of `provreg export training-summary`.
#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// The model version's ID.
    pub id: String,
    /// A Markdown document instead of JSON.
    #[arg(long)]
    pub markdown: bool,
    #[command(flatten)]
    pub out: Output,
}

/// What every export takes.
#[derive(Debug, clap::Args)]
pub struct Output {
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Options of `provreg export prov`.
#[derive(Debug, clap::Args)]
pub struct LineageArgs {
    /// The record: a licence, dataset, model version or token ID.
    pub id: String,
    /// upstream (what it came from; the default) or downstream (what came from it).
    #[arg(long)]
    pub direction: Option<String>,
    /// At most this many hops (default: limits.max_lineage_depth).
    #[arg(long)]
    pub max_depth: Option<String>,
    #[command(flatten)]
    pub out: Output,
}

/// Options of `provreg export lineage-csv`.
#[derive(Debug, clap::Args)]
pub struct LineageCsvArgs {
    #[command(flatten)]
    pub lineage: LineageArgs,
    /// Only these kinds, comma-separated: modelVersion, dataset, license, token.
    #[arg(long)]
    pub kinds: Option<String>,
    #[command(flatten)]
    pub as_of: AsOfArgs,
}

/// The point in the log a CSV export is of (default: now).
#[derive(Debug, clap::Args)]
pub struct AsOfArgs {
    /// As of this time (RFC 3339): only log entries made at or before it.
    #[arg(long, conflicts_with = "as_of_seq")]
    pub as_of: Option<String>,
    /// As of this log sequence number: only log entries up to it.
    #[arg(long)]
    pub as_of_seq: Option<String>,
}

impl AsOfArgs {
    fn point(&self) -> Result<Option<AsOf>> {
        Ok(AsOf::from_params(self.as_of.as_deref(), self.as_of_seq.as_deref())?)
    }
}

/// Options of `provreg export impact-csv`.
#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The record: a licence, dataset or model version ID.
    pub id: String,
    /// At most this many hops (a token is one hop beyond its model version).
    #[arg(long)]
    pub max_depth: Option<String>,
    /// Only these kinds, comma-separated: modelVersion, dataset, license, token.
    #[arg(long)]
    pub kinds: Option<String>,
    #[command(flatten)]
    pub as_of: AsOfArgs,
    #[command(flatten)]
    pub out: Output,
}

/// Options of `provreg export openlineage`.
#[derive(Debug, clap::Args)]
pub struct OpenLineageArgs {
    /// Only this model version's training run (default: every model version's).
    #[arg(long)]
    pub model_version: Option<String>,
    #[command(flatten)]
    pub out: Output,
}

/// Runs an `export` command on `registry`, whose lineage walks go at most `max_depth` deep.
pub async fn command(command: ExportCommand, registry: &Registry, max_depth: u32) -> Result<()> {
    let (text, out) = match command {
        ExportCommand::Prov(a) => {
            let (of, direction, depth) = lineage_options(&a, max_depth)?;
            let doc = super::prov_document(registry, of, direction, depth).await?;
            (serde_json::to_string_pretty(&doc)? + "\n", a.out)
        }
        ExportCommand::LineageCsv(a) => {
            let (of, direction, depth) = lineage_options(&a.lineage, max_depth)?;
            let kinds = super::parse_kinds("kinds", a.kinds.as_deref(), &LINEAGE_KINDS)?;
            let as_of = a.as_of.point()?;
            (super::lineage_csv(registry, of, direction, depth, &kinds, as_of).await?, a.lineage.out)
        }
        ExportCommand::ImpactCsv(a) => {
            let of = super::parse_id("id", &a.id)?;
            let depth = super::parse_depth("max-depth", a.max_depth.as_deref(), max_depth)?;
            let kinds: Vec<RecordKind> = super::parse_kinds("kinds", a.kinds.as_deref(), &IMPACT_KINDS)?;
            let impact = super::impact::of(registry, of, depth, a.as_of.point()?).await?;
            (super::csv::impact(&impact, &kinds)?, a.out)
        }
        ExportCommand::Openlineage(a) => {
            let only = a.model_version.as_deref().map(|s| super::parse_id("model-version", s)).transpose()?;
            let mut events = Vec::new();
            let mut after = None;
            loop {
                let page = super::openlineage::events(registry, only, after, super::http::MAX_EVENTS).await?;
                let last = page.last().and_then(|e| e["run"]["runId"].as_str()).map(str::to_owned);
                let full = page.len() as u64 == super::http::MAX_EVENTS;
                events.extend(page);
                match last {
                    Some(last) if full && only.is_none() => after = Some(super::parse_id("after", &last)?),
                    _ => break,
                }
            }
            (serde_json::to_string_pretty(&events)? + "\n", a.out)
        }
        ExportCommand::TrainingSummary(a) => {
            let summary = super::summary::summary(registry, super::parse_id("id", &a.id)?).await?;
            let text = if a.markdown {
                super::summary_markdown(&summary)
            } else {
                serde_json::to_string_pretty(&summary)? + "\n"
            };
            (text, a.out)
        }
    };
    match out.output {
        Some(path) => std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn lineage_options(a: &LineageArgs, limit: u32) -> Result<(uuid::Uuid, crate::service::lineage::Direction, u32)> {
    Ok((
        super::parse_id("id", &a.id)?,
        super::parse_direction("direction", a.direction.as_deref())?,
        super::parse_depth("max-depth", a.max_depth.as_deref(), limit)?,
    ))
}
