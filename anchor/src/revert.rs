//! Telling contract reverts apart from transport failures.

use alloy::contract::Error as ContractError;
use alloy::sol_types::SolInterface;
use alloy::transports::{RpcError, TransportErrorKind};

use crate::contract::ProvenanceAnchor::ProvenanceAnchorErrors;
use crate::error::{AnchorError, ContractRevert};

/// Maps an error of a contract call or deployment.
pub(crate) fn classify(err: ContractError) -> AnchorError {
    match err {
        ContractError::TransportError(e) => classify_rpc(e),
        ContractError::PendingTransactionError(e) => AnchorError::Transport(e.to_string()),
        other => AnchorError::NodeRejected(other.to_string()),
    }
}

/// Maps an error of a JSON-RPC request.
pub(crate) fn classify_rpc(err: RpcError<TransportErrorKind>) -> AnchorError {
    let Some(payload) = err.as_error_resp() else {
        return AnchorError::Transport(err.to_string());
    };
    if let Some(data) = payload.as_revert_data() {
        return AnchorError::Reverted(decode_revert(&data));
    }
    let message = payload.message.to_lowercase();
    if message.contains("revert") {
        return AnchorError::Reverted(ContractRevert::Other(payload.message.to_string()));
    }
    AnchorError::NodeRejected(payload.to_string())
}

fn decode_revert(data: &[u8]) -> ContractRevert {
    match ProvenanceAnchorErrors::abi_decode(data) {
        Ok(ProvenanceAnchorErrors::NotOwner(_)) => ContractRevert::NotOwner,
        Ok(ProvenanceAnchorErrors::ZeroSize(_)) => ContractRevert::ZeroSize,
        Ok(ProvenanceAnchorErrors::SequenceOverflow(_)) => ContractRevert::SequenceOverflow,
        Ok(ProvenanceAnchorErrors::SequenceGap(gap)) => {
            ContractRevert::SequenceGap { expected: gap.expected, got: gap.got }
        }
        Err(_) => ContractRevert::Other(format!("revert data 0x{}", alloy::hex::encode(data))),
    }
}
