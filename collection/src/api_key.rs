//! Where the API key of a run comes from.

use std::path::Path;

use crate::error::{CollectionError, Result};

/// The environment variable an API key may be given in (read by the binary, which passes
/// its value to [`api_key`]).
pub const API_KEY_ENV: &str = "PROVREG_API_KEY";

/// The key file `serve --dev` writes in the data directory.
pub const DEV_KEY_FILE: &str = "dev-admin.key";

/// The API key: from `file` when given, else from `env` (the value of [`API_KEY_ENV`], when
/// set), else from `data_dir/dev-admin.key`. Reads no environment itself.
pub fn api_key(file: Option<&Path>, env: Option<String>, data_dir: &Path) -> Result<String> {
    if let Some(path) = file {
        return from_file(path);
    }
    if let Some(key) = env.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) {
        return Ok(key);
    }
    let dev = data_dir.join(DEV_KEY_FILE);
    if dev.is_file() {
        return from_file(&dev);
    }
    Err(CollectionError::NoApiKey { dev_key: dev })
}

fn from_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| CollectionError::ApiKeyFile { path: path.to_path_buf(), source })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(CollectionError::EmptyApiKeyFile { path: path.to_path_buf() });
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_api_key_comes_from_the_file_then_the_environment_then_the_dev_key() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let file = dir.join("key");
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(api_key(Some(&file), Some("env".into()), dir).unwrap(), "from-file");
        assert_eq!(api_key(None, Some(" env ".into()), dir).unwrap(), "env");
        let missing = api_key(None, None, dir).unwrap_err().to_string();
        assert!(missing.contains(API_KEY_ENV) && missing.contains(DEV_KEY_FILE), "{missing}");
        std::fs::write(dir.join(DEV_KEY_FILE), "dev\n").unwrap();
        assert_eq!(api_key(None, Some("".into()), dir).unwrap(), "dev");
        std::fs::write(&file, "  \n").unwrap();
        let empty = api_key(Some(&file), None, dir).unwrap_err();
        assert!(matches!(empty, CollectionError::EmptyApiKeyFile { .. }) && empty.to_string().contains("empty"));
        let absent = dir.join("absent");
        let unreadable = api_key(Some(&absent), None, dir).unwrap_err();
        assert!(matches!(unreadable, CollectionError::ApiKeyFile { .. }), "{unreadable:?}");
        assert!(unreadable.with_causes().contains("absent"), "{}", unreadable.with_causes());
    }
}
