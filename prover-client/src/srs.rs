//! Checks of a circuit's settings and structured reference string before any key is made
//! with them: the SRS has the size the settings' `logrows` needs and names that `logrows`,
//! and the settings name the proof system version.
use serde_json::Value;

/// The size in bytes of an EZKL (halo2 KZG) SRS file for `2^logrows` rows: a 4-byte
/// `logrows`, two lists of `2^logrows` G1 points (64 bytes each) and two G2 points (128
/// bytes each).
pub fn srs_len(logrows: u32) -> Option<u64> {
    1u64.checked_shl(logrows)?.checked_mul(128)?.checked_add(4 + 256)
}

/// What is wrong with a circuit's settings or SRS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CircuitFileError {
    #[error("the settings are not a JSON object with run_args.logrows: {0}")]
    Settings(String),
    #[error("the settings name no proof system version (`version`)")]
    NoVersion,
    #[error("the SRS is {actual} bytes; an SRS for logrows {logrows} (the settings') is {expected} bytes")]
    SrsSize { logrows: u32, expected: u64, actual: u64 },
    #[error("the SRS is made for logrows {found}, not the settings' {logrows}")]
    SrsLogrows { logrows: u32, found: u32 },
}

/// `run_args.logrows` and `version` of circuit settings.
pub fn settings_logrows_and_version(settings: &[u8]) -> Result<(u32, String), CircuitFileError> {
    let value: Value = serde_json::from_slice(settings).map_err(|e| CircuitFileError::Settings(e.to_string()))?;
    let logrows = value["run_args"]["logrows"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v < 32)
        .ok_or_else(|| CircuitFileError::Settings("no run_args.logrows below 32".into()))?;
    let version = value["version"].as_str().filter(|v| !v.is_empty()).ok_or(CircuitFileError::NoVersion)?;
    Ok((logrows, version.to_owned()))
}

/// The SRS has the size and header of one for `logrows`. (Whether its points are on the
/// curve is checked by the key setup that reads it.)
pub fn check_srs(srs: &[u8], logrows: u32) -> Result<(), CircuitFileError> {
    let expected = srs_len(logrows).unwrap_or(u64::MAX);
    let actual = srs.len() as u64;
    if actual != expected {
        return Err(CircuitFileError::SrsSize { logrows, expected, actual });
    }
    let header = srs.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    match header {
        Some(found) if found == logrows => Ok(()),
        Some(found) => Err(CircuitFileError::SrsLogrows { logrows, found }),
        None => Err(CircuitFileError::SrsSize { logrows, expected, actual }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn srs_sizes_follow_logrows() {
        // Sizes of SRS files EZKL's gen_srs wrote for logrows 9, 11 and 15.
        assert_eq!(srs_len(9), Some(65_796));
        assert_eq!(srs_len(11), Some(262_404));
        assert_eq!(srs_len(15), Some(4_194_564));
        let mut srs = vec![0u8; 65_796];
        srs[0] = 9;
        check_srs(&srs, 9).unwrap();
        assert!(matches!(check_srs(&srs, 11), Err(CircuitFileError::SrsSize { .. })));
        srs[0] = 10;
        assert_eq!(check_srs(&srs, 9), Err(CircuitFileError::SrsLogrows { logrows: 9, found: 10 }));
    }

    #[test]
    fn settings_name_logrows_and_version() {
        let s = br#"{"run_args":{"logrows":15},"version":"23.0.5"}"#;
        assert_eq!(settings_logrows_and_version(s).unwrap(), (15, "23.0.5".to_owned()));
        assert_eq!(settings_logrows_and_version(br#"{"run_args":{"logrows":15}}"#), Err(CircuitFileError::NoVersion));
        assert!(settings_logrows_and_version(b"[]").is_err());
    }
}
