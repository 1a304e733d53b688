//! CSV exports (RFC 4180): a header row, then one row per record, fields separated by
//! commas, rows ended by CRLF. A field is quoted when it holds a comma, a double quote, CR or
//! LF, and a double quote inside it is doubled.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (CSV formula
//! injection), and record names come from registrants. Such a cell (also one starting with a
//! tab or CR, which some spreadsheets skip before looking) gets a leading apostrophe, which
//! spreadsheets show as text: `=HYPERLINK(…)` is exported as `'=HYPERLINK(…)`. Digests,
//! IDs, kinds and numbers never start with those characters, so only free text changes.
use provreg_schema::RecordKind;

use super::impact::Impact;
use super::snapshot::{LogState, Snapshot};
use crate::error::AppResult;
use crate::service::lineage::Direction;

/// The columns every export ends with: the anchored log state it was built from.
/// `anchoredSeq` is `none` when nothing is anchored yet.
pub const LOG_COLUMNS: [&str; 3] = ["anchoredSeq", "anchoredRoot", "anchoredTx"];

/// The columns of the lineage export.
pub const LINEAGE_COLUMNS: [&str; 8] = ["id", "kind", "name", "version", "status", "digest", "depth", "direction"];

/// The columns of the impact export.
pub const IMPACT_COLUMNS: [&str; 10] =
    ["id", "kind", "name", "version", "status", "digest", "depth", "chainId", "contract", "tokenId"];

/// A field made safe for spreadsheets (see the module documentation).
pub fn defuse(field: &str) -> String {
    match field.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{field}"),
        _ => field.to_owned(),
    }
}

/// A field quoted as RFC 4180 asks, when it must be.
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Rows of a CSV document.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// Appends one row; every field is defused, then quoted.
    pub fn row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        let line: Vec<String> = fields.into_iter().map(|f| quote(&defuse(f.as_ref()))).collect();
        self.out.push_str(&line.join(","));
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// The values of [`LOG_COLUMNS`] for `log`.
fn log_fields(log: &LogState) -> [String; 3] {
    match &log.anchored {
        Some(a) => [a.last_seq.to_string(), a.root.clone(), a.tx_hash.clone().unwrap_or_default()],
        None => ["none".to_owned(), String::new(), String::new()],
    }
}

/// The lineage nodes of `snap`, of the `kinds` given (every kind when empty), nearest first.
pub fn lineage(snap: &Snapshot, kinds: &[RecordKind]) -> AppResult<String> {
    let mut w = Writer::default();
    w.row(LINEAGE_COLUMNS.iter().chain(LOG_COLUMNS.iter()));
    let direction = match snap.direction {
        Direction::Upstream => "upstream",
        Direction::Downstream => "downstream",
    };
    let log = log_fields(&snap.log);
    for n in snap.nodes.iter().filter(|n| kinds.is_empty() || kinds.contains(&n.kind)) {
        let r = snap.record(n.id)?;
        let depth = n.depth.to_string();
        let fields = [
            &r.id.to_string(),
            r.kind.as_str(),
            &r.name,
            r.version.as_deref().unwrap_or(""),
            &r.status,
            &r.digest,
            &depth,
            direction,
        ];
        w.row(fields.into_iter().map(str::to_owned).chain(log.iter().cloned()));
    }
    Ok(w.finish())
}

/// The impact rows of `impact`: downstream datasets and model versions, and affected tokens,
/// of the `kinds` given (every kind when empty).
pub fn impact(impact: &Impact, kinds: &[RecordKind]) -> AppResult<String> {
    let mut w = Writer::default();
    w.row(IMPACT_COLUMNS.iter().chain(LOG_COLUMNS.iter()));
    let log = log_fields(&impact.snapshot.log);
    for n in impact.snapshot.nodes.iter().filter(|n| kinds.is_empty() || kinds.contains(&n.kind)) {
        let r = impact.snapshot.record(n.id)?;
        let fields = [
            r.id.to_string(),
            r.kind.as_str().to_owned(),
            r.name.clone(),
            r.version.clone().unwrap_or_default(),
            r.status.clone(),
            r.digest.clone(),
            n.depth.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        w.row(fields.into_iter().chain(log.iter().cloned()));
    }
    if kinds.is_empty() || kinds.contains(&RecordKind::Token) {
        for t in &impact.tokens {
            let fields = [
                t.id.to_string(),
                RecordKind::Token.as_str().to_owned(),
                t.name.clone(),
                String::new(),
                t.provenance_status.to_owned(),
                t.digest.clone(),
                t.depth.to_string(),
                t.chain_id.to_string(),
                t.contract.clone(),
                t.token_id.clone(),
            ];
            w.row(fields.into_iter().chain(log.iter().cloned()));
        }
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_asks() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote("cr\rhere"), "\"cr\rhere\"");
    }

    /// Impact rows: the records of the downstream walk, then the tokens with their key and
    /// provenance status, each with the anchored state; the kind filter drops rows.
    #[test]
    fn impact_rows_list_records_then_tokens() {
        use std::collections::HashMap;

        use super::super::impact::ImpactToken;
        use super::super::snapshot::{AnchoredState, Node, Record};
        let (ds, mv, tok) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2), uuid::Uuid::from_u128(3));
        let record = |id, kind, name: &str, version: &str| Record {
            id,
            kind,
            name: name.into(),
            version: Some(version.into()),
            status: "revoked".into(),
            digest: "ab".repeat(32),
            registered_at: chrono::DateTime::UNIX_EPOCH,
            payload: serde_json::Value::Null,
            signer: None,
            license: None,
        };
        let snapshot = Snapshot {
            start: ds,
            direction: Direction::Downstream,
            max_depth: 5,
            nodes: vec![
                Node { id: ds, kind: RecordKind::Dataset, depth: 0 },
                Node { id: mv, kind: RecordKind::ModelVersion, depth: 1 },
            ],
            links: Vec::new(),
            records: HashMap::from([
                (ds, record(ds, RecordKind::Dataset, "pixel-traits", "2.1")),
                (mv, record(mv, RecordKind::ModelVersion, "trait-generator", "v2")),
            ]),
            log: LogState {
                entries: 20,
                anchored: Some(AnchoredState {
                    last_seq: 19,
                    root: "0xroot".into(),
                    chain_id: 31337,
                    contract: "0xc".into(),
                    tx_hash: Some("0xtx".into()),
                    block_number: Some(7),
                }),
            },
            taken_at: chrono::DateTime::UNIX_EPOCH,
        };
        let impact = Impact {
            snapshot,
            tokens: vec![ImpactToken {
                id: tok,
                name: "31337/0xc/1".into(),
                digest: "cd".repeat(32),
                depth: 2,
                chain_id: 31337,
                contract: "0xc".into(),
                token_id: "1".into(),
                model_version: mv,
                provenance_status: "affected",
            }],
        };
        let all = impact_csv(&impact, &[]);
        let lines: Vec<&str> = all.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "id,kind,name,version,status,digest,depth,chainId,contract,tokenId,anchoredSeq,anchoredRoot,anchoredTx"
        );
        assert!(lines[2].starts_with(&format!("{mv},modelVersion,trait-generator,v2,revoked,")), "{all}");
        assert_eq!(
            lines[3],
            format!("{tok},token,31337/0xc/1,,affected,{},2,31337,0xc,1,19,0xroot,0xtx", "cd".repeat(32))
        );
        assert_eq!(lines.len(), 5, "header, three rows, and the empty rest after the last CRLF");
        let tokens_only = impact_csv(&impact, &[RecordKind::Token]);
        assert_eq!(tokens_only.matches("\r\n").count(), 2, "{tokens_only}");
    }

    fn impact_csv(i: &Impact, kinds: &[RecordKind]) -> String {
        impact(i, kinds).unwrap()
    }

    #[test]
    fn formula_cells_become_text() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\r=1"] {
            assert_eq!(defuse(bad), format!("'{bad}"));
        }
        assert_eq!(defuse("open-art-corpus"), "open-art-corpus");
        assert_eq!(defuse(""), "");
        let mut w = Writer::default();
        w.row(["=HYPERLINK(\"http://x\",\"y\")", "ok"]);
        assert_eq!(w.finish(), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",ok\r\n");
    }
}
