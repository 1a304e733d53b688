//! Telling contract reverts apart from transport failures.

use alloy::contract::Error as ContractError;
use alloy::sol_types::SolInterface;
use alloy::transports::{RpcError, TransportErrorKind};

use crate::contract::ProvenanceAnchor::ProvenanceAnchorErrors;
use crate::error::{AnchorError, ContractRevert};

/// Maps an error of a contract call or deployment of `ProvenanceAnchor`.
pub(crate) fn classify(err: ContractError) -> AnchorError {
    classify_with(err, anchor_revert)
}

/// Maps an error of a JSON-RPC request to the `ProvenanceAnchor` contract.
pub(crate) fn classify_rpc(err: RpcError<TransportErrorKind>) -> AnchorError {
    classify_rpc_with(err, anchor_revert)
}

/// Turns a revert into the contract's error: `Ok` with the revert data, `Err` with the node's
/// message when it gave no data.
pub(crate) type RevertDecoder = fn(std::result::Result<&[u8], String>) -> AnchorError;

/// Maps an error of a contract call or deployment, decoding reverts with `revert`.
pub(crate) fn classify_with(err: ContractError, revert: RevertDecoder) -> AnchorError {
    match err {
        ContractError::TransportError(e) => classify_rpc_with(e, revert),
        ContractError::PendingTransactionError(e) => AnchorError::Transport(e.to_string()),
        other => AnchorError::NodeRejected(other.to_string()),
    }
}

/// Maps an error of a JSON-RPC request, decoding reverts with `revert`.
pub(crate) fn classify_rpc_with(err: RpcError<TransportErrorKind>, revert: RevertDecoder) -> AnchorError {
    let Some(payload) = err.as_error_resp() else {
        return AnchorError::Transport(err.to_string());
    };
    if let Some(data) = payload.as_revert_data() {
        return revert(Ok(&data));
    }
    if payload.message.to_lowercase().contains("revert") {
        return revert(Err(payload.message.to_string()));
    }
    AnchorError::NodeRejected(payload.to_string())
}

fn anchor_revert(reason: std::result::Result<&[u8], String>) -> AnchorError {
    AnchorError::Reverted(match reason {
        Ok(data) => decode_revert(data),
        Err(message) => ContractRevert::Other(message),
    })
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

/// Maps an error of a contract call or deployment of `ProvenanceLog`.
pub(crate) fn classify_log(err: ContractError) -> AnchorError {
    classify_with(err, log_revert)
}

/// Maps an error of a JSON-RPC request to the `ProvenanceLog` contract.
pub(crate) fn classify_log_rpc(err: RpcError<TransportErrorKind>) -> AnchorError {
    classify_rpc_with(err, log_revert)
}

fn log_revert(reason: std::result::Result<&[u8], String>) -> AnchorError {
    use crate::contract::ProvenanceLog::ProvenanceLogErrors as E;
    AnchorError::Reverted(match reason {
        Ok(data) => match E::abi_decode(data) {
            Ok(E::NotOwner(_)) => ContractRevert::NotOwner,
            Ok(E::ZeroSize(_)) => ContractRevert::ZeroSize,
            Ok(E::NotLatestState(e)) => ContractRevert::NotLatestState { latest: e.latest },
            Ok(E::LogShrinks(e)) => ContractRevert::LogShrinks { latest: e.latest, size: e.size },
            Ok(E::ForkedRoot(_)) => ContractRevert::ForkedRoot,
            Err(_) => ContractRevert::Other(format!("revert data 0x{}", alloy::hex::encode(data))),
        },
        Err(message) => ContractRevert::Other(message),
    })
}
