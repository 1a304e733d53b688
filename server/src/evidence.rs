//! Assembling a token's evidence bundle from the database.
use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use provreg_anchor::{BatchTree, InclusionProof, proof_from_levels};
use provreg_entities::{
    anchor, anchor_tree, certificate, dataset, license, log_entry, model_version, status_event, token,
};
use provreg_schema::RecordKind;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::service::Registry;
use crate::service::lineage::{Direction, EdgeKind, NodeRef};
use crate::service::seal::digest_bytes;
use crate::service::token::proof_record_of;
use provreg_evidence::bundle::{
    BUNDLE_VERSION, Bundle, BundleSubject, CircuitFiles, EvidenceAnchor, EvidenceCertificate, EvidenceLogEntry,
    EvidenceLogState, EvidenceRecord, EvidenceStatusProof, LineageEdge, ProofEvidence, RecordRef,
};

/// Most IDs one `IN (…)` list carries (SQLite allows 32,766 parameters in a statement).
const CHUNK: usize = 500;

/// A record's stored form, before its certificate and log entry are attached.
struct Source {
    kind: RecordKind,
    id: Uuid,
    canonical: Vec<u8>,
    digest: String,
}

fn missing(what: &str, id: Uuid) -> AppError {
    AppError::Internal(format!("{what} of {id} is missing"))
}

impl Registry {
    /// The evidence bundle of token `token_id` of `contract` on chain `chain_id` (the contract
    /// in any case, the token ID with or without leading zeros); `None` when no such token is
    /// registered. Read from the database as it is now: entries not yet anchored have no
    /// inclusion proof and no anchor.
    pub async fn evidence_for_token(&self, chain_id: i64, contract: &str, token_id: &str) -> AppResult<Option<Bundle>> {
        match self.token_by_key(chain_id, contract, token_id).await? {
            Some(token) => Ok(Some(self.evidence_of(token).await?)),
            None => Ok(None),
        }
    }

    /// The evidence bundle of `token` (see [`Self::evidence_for_token`]).
    pub async fn evidence_of(&self, token: token::Model) -> AppResult<Bundle> {
        let circuit = self.circuit(token.circuit_id).await?.ok_or_else(|| missing("the circuit", token.id))?;
        let files = self.circuit_files(circuit.id).await?.ok_or_else(|| missing("the circuit files", circuit.id))?;
        let proof_row =
            self.proof_record_of_token(token.id).await?.ok_or_else(|| missing("the proof record", token.id))?;
        let lineage =
            self.lineage(NodeRef::ModelVersion(token.model_version_id), Direction::Upstream, u32::MAX).await?;

        let token_ref = RecordRef::new(RecordKind::Token, token.id);
        let circuit_ref = RecordRef::new(RecordKind::Circuit, circuit.id);
        let version_ref = RecordRef::new(RecordKind::ModelVersion, token.model_version_id);
        let mut edges: BTreeSet<LineageEdge> = BTreeSet::new();
        let edge = |from: &RecordRef, to: &RecordRef, relation: &str| LineageEdge {
            from: from.clone(),
            to: to.clone(),
            relation: relation.to_owned(),
            role: None,
        };
        edges.insert(edge(&token_ref, &version_ref, "generatedBy"));
        edges.insert(edge(&token_ref, &circuit_ref, "provenWith"));
        edges.insert(edge(
            &circuit_ref,
            &RecordRef::new(RecordKind::ModelVersion, circuit.model_version_id),
            "circuitOf",
        ));
        for e in &lineage.edges {
            let (relation, role) = match e.kind {
                EdgeKind::DerivedFrom => ("derivedFrom", None),
                EdgeKind::TrainedOn(role) => ("trainedOn", Some(role.as_str().to_owned())),
                EdgeKind::FineTunedFrom => ("fineTunedFrom", None),
                EdgeKind::RetrainedFrom => ("retrainedFrom", None),
                EdgeKind::LicensedUnder => ("licensedUnder", None),
            };
            edges.insert(LineageEdge { from: node_ref(e.from), to: node_ref(e.to), relation: relation.into(), role });
        }

        let mut sources = vec![
            Source {
                kind: RecordKind::Token,
                id: token.id,
                canonical: token.canonical.clone(),
                digest: token.digest.clone(),
            },
            Source { kind: RecordKind::Circuit, id: circuit.id, canonical: circuit.canonical, digest: circuit.digest },
        ];
        // A token of a collection the registry deployed: the collection record too, upstream
        // of the token by its chain and contract.
        let collection = provreg_entities::collection::Entity::find()
            .filter(provreg_entities::collection::Column::ChainId.eq(token.chain_id))
            .filter(provreg_entities::collection::Column::Address.eq(token.contract.to_ascii_lowercase()))
            .one(&self.db)
            .await?;
        if let Some(c) = collection {
            let collection_ref = RecordRef::new(RecordKind::Collection, c.id);
            edges.insert(edge(&token_ref, &collection_ref, "mintedIn"));
            edges.insert(edge(
                &collection_ref,
                &RecordRef::new(RecordKind::ModelVersion, c.model_version_id),
                "collectionOf",
            ));
            edges.insert(edge(&collection_ref, &RecordRef::new(RecordKind::Circuit, c.circuit_id), "verifiedBy"));
            sources.push(Source { kind: RecordKind::Collection, id: c.id, canonical: c.canonical, digest: c.digest });
        }
        let mut versions = Vec::new();
        let mut datasets = Vec::new();
        let mut licenses = Vec::new();
        for (node, _) in &lineage.nodes {
            match node {
                NodeRef::ModelVersion(id) => versions.push(*id),
                NodeRef::Dataset(id) => datasets.push(*id),
                NodeRef::License(id) => licenses.push(*id),
            }
        }
        let lineage_ids: Vec<Uuid> = lineage.nodes.iter().map(|(n, _)| n.id()).collect();
        let mut rows: HashMap<Uuid, Source> = HashMap::new();
        for chunk in versions.chunks(CHUNK) {
            for v in model_version::Entity::find()
                .filter(model_version::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                rows.insert(
                    v.id,
                    Source { kind: RecordKind::ModelVersion, id: v.id, canonical: v.canonical, digest: v.digest },
                );
            }
        }
        for chunk in datasets.chunks(CHUNK) {
            for d in dataset::Entity::find().filter(dataset::Column::Id.is_in(chunk.to_vec())).all(&self.db).await? {
                rows.insert(
                    d.id,
                    Source { kind: RecordKind::Dataset, id: d.id, canonical: d.canonical, digest: d.digest },
                );
            }
        }
        for chunk in licenses.chunks(CHUNK) {
            for l in license::Entity::find().filter(license::Column::Id.is_in(chunk.to_vec())).all(&self.db).await? {
                rows.insert(
                    l.id,
                    Source { kind: RecordKind::License, id: l.id, canonical: l.canonical, digest: l.digest },
                );
            }
        }
        // In the walk's order: nearest first.
        for id in &lineage_ids {
            sources.push(rows.remove(id).ok_or_else(|| missing("a lineage record", *id))?);
        }
        let mut events: Vec<status_event::Model> = Vec::new();
        for chunk in lineage_ids.chunks(CHUNK) {
            events.extend(
                status_event::Entity::find()
                    .filter(status_event::Column::SubjectId.is_in(chunk.to_vec()))
                    .order_by_asc(status_event::Column::Id)
                    .all(&self.db)
                    .await?,
            );
        }
        events.sort_by_key(|e| e.id);
        for e in events {
            let event_ref = RecordRef::new(RecordKind::StatusEvent, e.id);
            edges.insert(edge(&event_ref, &RecordRef::new(subject_kind(&e.subject_kind)?, e.subject_id), "statusOf"));
            sources.push(Source { kind: RecordKind::StatusEvent, id: e.id, canonical: e.canonical, digest: e.digest });
        }

        let ids: Vec<Uuid> = sources.iter().map(|s| s.id).collect();
        let certificates = self.certificates_by_subject(&ids).await?;
        let entries = self.log_entries_by_record(&ids).await?;
        // Entries of a state-anchored log are proven in the newest state's whole-log tree;
        // batch-anchored entries by their batch's tree.
        let state = self.latest_state().await?;
        let state_anchored =
            |e: &log_entry::Model, state: &anchor::Model| e.seq.is_some_and(|seq| seq < state.first_seq + state.size);
        let batch_entries: Vec<&log_entry::Model> =
            entries.values().filter(|e| state.as_ref().is_none_or(|st| !state_anchored(e, st))).collect();
        let proofs = self.inclusion_proofs(batch_entries.into_iter()).await?;
        let log_proofs = match &state {
            Some(st) => {
                let members: Vec<(Uuid, u64, [u8; 32])> = entries
                    .values()
                    .filter(|e| state_anchored(e, st))
                    .map(|e| {
                        Ok((
                            e.record_id,
                            u64::try_from(e.seq.unwrap_or_default()).map_err(AppError::from_display)?,
                            digest_bytes(&e.leaf)?,
                        ))
                    })
                    .collect::<AppResult<_>>()?;
                self.log_proofs(st, &members).await?
            }
            None => HashMap::new(),
        };
        let mut records = Vec::with_capacity(sources.len());
        for s in sources {
            let entry = entries.get(&s.id).ok_or_else(|| missing("the log entry", s.id))?;
            let (proof, anchor) = match proofs.get(&s.id) {
                Some((proof, anchor)) => (Some(proof), Some(anchor)),
                None => (None, None),
            };
            let log_proof = log_proofs.get(&s.id).cloned();
            records.push(EvidenceRecord {
                kind: s.kind,
                id: s.id.to_string(),
                canonical: B64.encode(&s.canonical),
                digest: s.digest,
                certificate: certificates.get(&s.id).map(|c| EvidenceCertificate {
                    id: c.id.to_string(),
                    manifest_label: c.manifest_label.clone(),
                    format: c.format.clone(),
                    bound_sha256: c.bound_sha256.clone(),
                    digest: c.digest.clone(),
                    manifest_store: B64.encode(&c.manifest_store),
                }),
                log_entry: EvidenceLogEntry {
                    seq: entry.seq,
                    leaf: entry.leaf.clone(),
                    record_digest: entry.record_digest.clone(),
                    certificate_digest: entry.certificate_digest.clone(),
                },
                inclusion_proof: proof.map(|p| serde_json::to_value(p).map_err(AppError::from_display)).transpose()?,
                anchor: anchor.map(|a| EvidenceAnchor {
                    chain_id: a.chain_id,
                    contract: a.contract.clone(),
                    tx_hash: a.tx_hash.clone(),
                    block_number: a.block_number,
                    batch_id: a.batch_id,
                    root: a.root.clone(),
                    first_seq: a.first_seq,
                    size: a.size,
                    status: a.status.clone(),
                }),
                log_proof,
            });
        }
        let log_state = match &state {
            Some(st) => Some(self.evidence_log_state(st, &records).await?),
            None => None,
        };

        let settings = String::from_utf8(files.settings)
            .map_err(|_| AppError::Internal(format!("the settings of circuit {} are not UTF-8", circuit.id)))?;
        Ok(Bundle {
            version: BUNDLE_VERSION,
            subject: BundleSubject {
                chain_id: token.chain_id,
                contract: token.contract,
                token_id: token.token_id,
                id: token.id.to_string(),
            },
            records,
            lineage: edges.into_iter().collect(),
            proof: ProofEvidence {
                record: proof_record_of(&proof_row)?,
                circuit: CircuitFiles {
                    id: circuit.id.to_string(),
                    settings,
                    verifying_key: B64.encode(&files.verifying_key),
                    srs: B64.encode(&files.srs),
                    onnx: files
                        .onnx
                        .as_ref()
                        .filter(|m| m.len() <= provreg_evidence::MAX_BUNDLED_MODEL)
                        .map(|m| B64.encode(m)),
                },
            },
            log_state,
        })
    }

    /// The inclusion proof of each `(record, seq, leaf)` in the whole-log tree of `state`, as
    /// proof JSON, by record; the stored hashes are read in one query.
    async fn log_proofs(
        &self,
        state: &anchor::Model,
        members: &[(Uuid, u64, [u8; 32])],
    ) -> AppResult<HashMap<Uuid, serde_json::Value>> {
        let size = u64::try_from(state.first_seq + state.size).map_err(AppError::from_display)?;
        let mut indexes = Vec::new();
        for (_, seq, _) in members {
            indexes.extend(provreg_anchor::log_tree::inclusion_indexes(*seq, size).map_err(AppError::from_display)?);
        }
        indexes.sort_unstable();
        indexes.dedup();
        let known = self.stored_hashes(&indexes).await?;
        let mut out = HashMap::new();
        for (record, seq, leaf) in members {
            let proof =
                provreg_anchor::log_tree::prove_inclusion(leaf, *seq, size, &known).map_err(AppError::from_display)?;
            if Some(hex::encode(proof.root)) != state.log_root {
                return Err(AppError::Internal(format!("the log tree no longer matches state {}", state.id)));
            }
            out.insert(*record, serde_json::to_value(&proof).map_err(AppError::from_display)?);
        }
        Ok(out)
    }

    /// The bundle's `logState`: the newest confirmed state and the status-map proof of every
    /// licence, dataset and model version among `records`.
    async fn evidence_log_state(
        &self,
        state: &anchor::Model,
        records: &[EvidenceRecord],
    ) -> AppResult<EvidenceLogState> {
        let fields = crate::service::log_tree::state_of(state)?;
        let subjects: Vec<RecordRef> = records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::License | RecordKind::Dataset | RecordKind::ModelVersion))
            .map(|r| RecordRef::new(r.kind, &r.id))
            .collect();
        let (root, proofs) = self
            .with_status_map(fields.size, |map| {
                let proofs: Vec<_> = subjects.iter().map(|s| map.prove(&provreg_anchor::status_key(&s.id))).collect();
                (map.root(), proofs)
            })
            .await?;
        if root != fields.status_root {
            return Err(AppError::Internal(format!(
                "the status events no longer give state {}'s status root",
                state.id
            )));
        }
        let status_proofs = subjects
            .into_iter()
            .zip(proofs)
            .map(|(record, proof)| {
                Ok(EvidenceStatusProof { record, proof: serde_json::to_value(proof).map_err(AppError::from_display)? })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let missing_field = |what: &str| AppError::Internal(format!("confirmed state {} has no {what}", state.id));
        Ok(EvidenceLogState {
            chain_id: state.chain_id,
            contract: state.contract.clone(),
            head: state.head.clone().ok_or_else(|| missing_field("head"))?,
            prev_head: state.prev_head.clone().ok_or_else(|| missing_field("previous head"))?,
            log_root: state.log_root.clone().ok_or_else(|| missing_field("log root"))?,
            size: i64::try_from(fields.size).map_err(AppError::from_display)?,
            status_root: state.status_root.clone().ok_or_else(|| missing_field("status root"))?,
            tx_hash: state.tx_hash.clone().ok_or_else(|| missing_field("transaction"))?,
            block_number: state.block_number.ok_or_else(|| missing_field("block"))?,
            block_time: state.block_time.ok_or_else(|| missing_field("block time"))?,
            status_proofs,
        })
    }

    /// The certificates of `subjects`, by subject.
    async fn certificates_by_subject(&self, subjects: &[Uuid]) -> AppResult<HashMap<Uuid, certificate::Model>> {
        let mut out = HashMap::new();
        for chunk in subjects.chunks(CHUNK) {
            for c in self.certificates_of(chunk.to_vec()).await? {
                out.insert(c.subject_id, c);
            }
        }
        Ok(out)
    }

    /// The log entries of `records`, by record.
    async fn log_entries_by_record(&self, records: &[Uuid]) -> AppResult<HashMap<Uuid, log_entry::Model>> {
        let mut out = HashMap::new();
        for chunk in records.chunks(CHUNK) {
            let rows = log_entry::Entity::find()
                .filter(log_entry::Column::RecordId.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?;
            for e in rows {
                out.insert(e.record_id, e);
            }
        }
        Ok(out)
    }

    /// The inclusion proof and anchor of every batched entry of `entries`, by record. Each
    /// batch's stored tree is read once, however many of the entries it holds.
    async fn inclusion_proofs<'a>(
        &self,
        entries: impl Iterator<Item = &'a log_entry::Model>,
    ) -> AppResult<HashMap<Uuid, (InclusionProof, anchor::Model)>> {
        let mut by_anchor: HashMap<Uuid, Vec<(Uuid, i64)>> = HashMap::new();
        for e in entries {
            if let (Some(anchor_id), Some(seq)) = (e.anchor_id, e.seq) {
                by_anchor.entry(anchor_id).or_default().push((e.record_id, seq));
            }
        }
        let mut out = HashMap::new();
        for (anchor_id, members) in by_anchor {
            let anchor = self
                .anchor(anchor_id)
                .await?
                .ok_or_else(|| AppError::Internal(format!("log entries point at missing anchor {anchor_id}")))?;
            let size = u64::try_from(anchor.size).map_err(AppError::from_display)?;
            let root = digest_bytes(&anchor.root)?;
            let stored = anchor_tree::Entity::find_by_id(anchor_id).one(&self.db).await?;
            let rebuilt = match &stored {
                Some(_) => None,
                None => Some(self.rebuild_tree(anchor_id).await?),
            };
            for (record, seq) in members {
                let index = u64::try_from(seq - anchor.first_seq).map_err(AppError::from_display)?;
                let proof = match (&stored, &rebuilt) {
                    (Some(tree), _) => proof_from_levels(&tree.levels, size, index),
                    (None, Some(tree)) => tree.proof(index),
                    (None, None) => return Err(AppError::Internal(format!("no tree for anchor {anchor_id}"))),
                }
                .map_err(|e| AppError::Internal(format!("proof of log entry {seq}: {e}")))?;
                if proof.root != root {
                    return Err(AppError::Internal(format!("anchor {anchor_id} no longer matches its log entries")));
                }
                out.insert(record, (proof, anchor.clone()));
            }
        }
        Ok(out)
    }

    /// The batch tree of `anchor_id` rebuilt from its entries' leaves.
    async fn rebuild_tree(&self, anchor_id: Uuid) -> AppResult<BatchTree> {
        let entries = log_entry::Entity::find()
            .filter(log_entry::Column::AnchorId.eq(anchor_id))
            .order_by_asc(log_entry::Column::Seq)
            .all(&self.db)
            .await?;
        let leaves = entries.iter().map(|e| digest_bytes(&e.leaf)).collect::<AppResult<Vec<_>>>()?;
        BatchTree::new(&leaves).map_err(AppError::from_display)
    }
}

fn node_ref(node: NodeRef) -> RecordRef {
    RecordRef::new(node.kind(), node.id())
}

/// The record kind a stored status event is about.
fn subject_kind(stored: &str) -> AppResult<RecordKind> {
    stored.parse().map_err(|e| AppError::Internal(format!("a stored status event: {e}")))
}
