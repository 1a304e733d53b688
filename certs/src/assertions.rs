//! Our labelled assertions and the training-and-data-mining assertion.

use serde_json::{Value, json};

use super::error::{CertError, Result};

/// `{ "subject": "dataset" | "modelVersion" | "token" | "license",
///    "format": "<MIME type of the bound bytes>", "boundSha256": "<hex>",
///    "record": <the record, as the request gave it> }`.
pub const LABEL_RECORD: &str = "org.provreg.record";
/// The training-data lineage of a model version or token, as the request gave it.
pub const LABEL_LINEAGE: &str = "org.provreg.lineage";
/// Every ingredient by certificate digest: `{ "ingredients": [{ "title", "relationship",
/// "certificateSha256", "boundSha256", "embedded" }] }`. An ingredient whose store is
/// not embedded is identified by this signed digest alone.
pub const LABEL_INGREDIENTS: &str = "org.provreg.ingredients";
/// The licence terms, as the request gave them.
pub const LABEL_LICENSE: &str = "org.provreg.license";
/// The training-and-data-mining assertion. C2PA 1.x called it `c2pa.training-mining`;
/// C2PA 2.x moved it to the Creator Assertions Working Group, whose current label and
/// entry names (`cawg.ai_training`, ...) are used here.
pub const LABEL_TRAINING_MINING: &str = "cawg.training-mining";

/// The `cawg.training-mining` assertion derived from licence terms.
///
/// The terms' `aiTraining` permission (`allowed`, `notAllowed` or `constrained`)
/// governs all four uses — AI training, generative AI training, AI inference and
/// data mining — since the licence states a single AI permission. A constrained
/// permission carries the terms' `aiTrainingConstraints` as `constraint_info`.
pub fn training_mining(terms: &Value) -> Result<(&'static str, Value)> {
    let permission = terms["aiTraining"]
        .as_str()
        .ok_or_else(|| CertError::InvalidRequest("licence terms have no aiTraining permission".into()))?;
    let entry = match permission {
        "allowed" | "notAllowed" => json!({ "use": permission }),
        "constrained" => {
            let info = terms["aiTrainingConstraints"].as_str().ok_or_else(|| {
                CertError::InvalidRequest("constrained aiTraining needs aiTrainingConstraints".into())
            })?;
            json!({ "use": "constrained", "constraint_info": info })
        }
        other => {
            return Err(CertError::InvalidRequest(format!("unknown aiTraining permission {other:?}")));
        }
    };
    let entries: serde_json::Map<String, Value> =
        ["cawg.ai_training", "cawg.ai_generative_training", "cawg.ai_inference", "cawg.data_mining"]
            .into_iter()
            .map(|name| (name.to_owned(), entry.clone()))
            .collect();
    Ok((LABEL_TRAINING_MINING, json!({ "entries": entries })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constrained_terms_carry_their_constraints() {
        let terms = json!({ "aiTraining": "constrained", "aiTrainingConstraints": "research only" });
        let (label, value) = training_mining(&terms).unwrap();
        assert_eq!(label, "cawg.training-mining");
        assert_eq!(
            value["entries"]["cawg.data_mining"],
            json!({ "use": "constrained", "constraint_info": "research only" })
        );
    }

    #[test]
    fn missing_or_unknown_permission_is_an_error() {
        assert!(training_mining(&json!({})).is_err());
        assert!(training_mining(&json!({ "aiTraining": "maybe" })).is_err());
        assert!(training_mining(&json!({ "aiTraining": "constrained" })).is_err());
    }
}
