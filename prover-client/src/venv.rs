//! A Python virtual environment with the packages the EZKL worker needs.

use std::path::{Path, PathBuf};
use std::process::Output;

use tokio::process::Command;

use crate::error::{ProverError, Result};

/// The pinned Python requirements of the EZKL worker (`python/requirements.txt`).
pub const REQUIREMENTS: &str = include_str!("../python/requirements.txt");

/// The version of the PyPI `ezkl` package pinned in [`REQUIREMENTS`]. Keys and
/// proofs depend on it.
pub const EZKL_VERSION: &str = "23.0.5";

/// Written into the environment once the requirements are installed; holds
/// the requirements text, so a changed pin means a fresh install.
const MARKER_FILE: &str = "provreg-requirements.txt";

/// The requirements file handed to pip.
const REQUIREMENTS_FILE: &str = "requirements.txt";

/// How many trailing lines of a failed command's stderr an error carries.
const STDERR_LINES: usize = 20;

/// Only one environment is made at a time in this process.
static INSTALLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The conventional directory name of the environment: `ezkl-venv-<EZKL_VERSION>`.
pub fn default_venv_name() -> String {
    format!("ezkl-venv-{EZKL_VERSION}")
}

/// The interpreter of the virtual environment in `dir`.
pub fn venv_python(dir: &Path) -> PathBuf {
    if cfg!(windows) { dir.join("Scripts").join("python.exe") } else { dir.join("bin").join("python") }
}

/// Make sure `dir` is a virtual environment with [`REQUIREMENTS`] installed,
/// and return its Python interpreter. The environment is made with `python3
/// -m venv` and filled with pip; this needs network access to PyPI and takes
/// about a minute, so it is done once: a later call finds the marker file the
/// install left and returns at once.
pub async fn ensure_venv(dir: &Path) -> Result<PathBuf> {
    ensure_venv_with(Path::new("python3"), dir).await
}

/// [`ensure_venv`] with `base_python` (instead of `python3`) making the environment.
pub async fn ensure_venv_with(base_python: &Path, dir: &Path) -> Result<PathBuf> {
    let python = venv_python(dir);
    if is_installed(dir, &python).await {
        return Ok(python);
    }
    let _installing = INSTALLING.lock().await;
    // Another call may have installed it while this one waited.
    if is_installed(dir, &python).await {
        return Ok(python);
    }
    eprintln!("installing the EZKL prover packages into {} (first run only, about a minute)…", dir.display());

    let created = Command::new(base_python)
        .arg("-m")
        .arg("venv")
        .arg(dir)
        .output()
        .await
        .map_err(|source| ProverError::PythonMissing { program: base_python.to_path_buf(), source })?;
    if !created.status.success() {
        return Err(ProverError::VenvCreate {
            dir: dir.to_path_buf(),
            status: created.status.to_string(),
            stderr: stderr_tail(&created),
        });
    }

    let requirements = dir.join(REQUIREMENTS_FILE);
    write_atomically(&requirements, REQUIREMENTS.as_bytes()).await?;
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .output()
        .await
        .map_err(|source| ProverError::Spawn { program: python.clone(), source })?;
    if !installed.status.success() {
        return Err(ProverError::PipInstall {
            dir: dir.to_path_buf(),
            status: installed.status.to_string(),
            stderr: stderr_tail(&installed),
        });
    }
    write_atomically(&dir.join(MARKER_FILE), REQUIREMENTS.as_bytes()).await?;
    Ok(python)
}

async fn is_installed(dir: &Path, python: &Path) -> bool {
    let marker = tokio::fs::read_to_string(dir.join(MARKER_FILE)).await;
    marker.is_ok_and(|text| text == REQUIREMENTS) && tokio::fs::try_exists(python).await.unwrap_or(false)
}

/// The last lines of a command's stderr (or a note that it printed nothing).
pub(crate) fn stderr_tail(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = text.lines().filter(|line| !line.trim().is_empty()).collect();
    if lines.is_empty() {
        return "(nothing on stderr)".to_owned();
    }
    lines[lines.len().saturating_sub(STDERR_LINES)..].join("\n")
}

/// Write `bytes` to `path` through a temporary file in the same directory
/// and a rename, so readers see either nothing or the whole file.
pub(crate) async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let write_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProverError::WriteFile { path, source }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir).await.map_err(write_error(dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), unique()));
    if let Err(e) = tokio::fs::write(&tmp, bytes).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(write_error(&tmp)(e));
    }
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(write_error(path)(e));
    }
    Ok(())
}

/// A number not handed out before in this process.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn ezkl_version_matches_the_embedded_requirements() {
        let pins: Vec<&str> = REQUIREMENTS.lines().filter_map(|line| line.trim().strip_prefix("ezkl==")).collect();
        assert_eq!(pins, [EZKL_VERSION]);
        assert_eq!(default_venv_name(), format!("ezkl-venv-{EZKL_VERSION}"));
    }

    #[tokio::test]
    async fn an_installed_environment_is_reused_without_running_anything() {
        let tmp = tempfile::tempdir().unwrap();
        let python = venv_python(tmp.path());
        tokio::fs::create_dir_all(python.parent().unwrap()).await.unwrap();
        tokio::fs::write(&python, "").await.unwrap();
        tokio::fs::write(tmp.path().join(MARKER_FILE), REQUIREMENTS).await.unwrap();
        // A base interpreter that does not exist is never started.
        let got = ensure_venv_with(Path::new("/nonexistent/python3"), tmp.path()).await.unwrap();
        assert_eq!(got, python);
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        // A stale marker (other pins) means a fresh install.
        tokio::fs::write(tmp.path().join(MARKER_FILE), "ezkl==0.0.1\n").await.unwrap();
        let err = ensure_venv_with(Path::new("/nonexistent/python3"), tmp.path()).await.unwrap_err();
        assert!(matches!(err, ProverError::PythonMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/python3"), "{err}");
    }

    /// A stand-in for `python3` whose `-m venv DIR` makes a `DIR/bin/python`
    /// on which pip fails the way it does without network access.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_failed_pip_install_carries_the_end_of_its_stderr() {
        use std::os::unix::fs::PermissionsExt as _;

        let tmp = tempfile::tempdir().unwrap();
        let fake = tmp.path().join("fake-python3");
        let failing_pip = "#!/bin/sh\necho 'Looking in indexes' >&2\necho 'ERROR: No matching distribution found for ezkl==0' >&2\nexit 1\n";
        let script = format!(
            "#!/bin/sh\nset -e\nmkdir -p \"$3/bin\"\ncat > \"$3/bin/python\" <<'EOF'\n{failing_pip}EOF\nchmod +x \"$3/bin/python\"\n"
        );
        std::fs::write(&fake, script).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

        let dir = tmp.path().join("venv");
        let err = ensure_venv_with(&fake, &dir).await.unwrap_err();
        match &err {
            ProverError::PipInstall { stderr, .. } => {
                assert!(stderr.contains("No matching distribution"), "{stderr}");
            }
            other => panic!("expected a pip failure, got {other:?}"),
        }
        assert!(!dir.join(MARKER_FILE).exists(), "no marker after a failed install");
        assert_eq!(std::fs::read_to_string(dir.join(REQUIREMENTS_FILE)).unwrap(), REQUIREMENTS);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_failed_venv_creation_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        // `false` ignores its arguments and fails.
        let err = ensure_venv_with(Path::new("false"), &tmp.path().join("venv")).await.unwrap_err();
        assert!(matches!(err, ProverError::VenvCreate { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn writes_atomically_and_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/file.txt");
        write_atomically(&path, b"one").await.unwrap();
        write_atomically(&path, b"two").await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary files left");
    }
}
