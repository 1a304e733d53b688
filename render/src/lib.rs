#![doc = include_str!("../README.md")]

mod palette;
mod pixel_bands;

pub use palette::{PALETTE, SIDE, palette_index, render_palette};
pub use pixel_bands::{MAX_BANDS, SIZE, encode_png, pixels, render_png};

/// A renderer: a versioned, deterministic function from a token's proven outputs to its
/// asset's bytes. A circuit record names the renderer of its tokens; the registry and the
/// verifier run it on the proof's public outputs and compare with the asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Renderer {
    /// The renderer's name, e.g. `pixel-bands`.
    pub name: &'static str,
    /// Its version: another version is another function, whose outputs differ.
    pub version: u32,
    /// The media type of what it renders.
    pub media_type: &'static str,
}

/// The demo's renderer: one vertical band per trait on a 64×64 PNG (see [`render_png`]).
pub const PIXEL_BANDS: Renderer = Renderer { name: "pixel-bands", version: 1, media_type: "image/png" };

/// The image generator's renderer: the 64 proven outputs are the pixels of an 8×8
/// palette image, drawn as a 64×64 PNG (see [`render_palette`]).
pub const PALETTE_8X8: Renderer = Renderer { name: "palette-8x8", version: 1, media_type: "image/png" };

/// Every renderer this build knows, oldest first.
pub const RENDERERS: &[Renderer] = &[PIXEL_BANDS, PALETTE_8X8];

impl Renderer {
    /// The renderer named `name` at `version`, when this build knows it.
    pub fn find(name: &str, version: u32) -> Option<Renderer> {
        RENDERERS.iter().copied().find(|r| r.name == name && r.version == version)
    }

    /// The asset of the proven outputs `outputs` (dequantised).
    pub fn render(&self, outputs: &[f32]) -> Result<Vec<u8>> {
        match (self.name, self.version) {
            ("pixel-bands", 1) => render_png(outputs),
            ("palette-8x8", 1) => render_palette(outputs),
            _ => Err(RenderError::Unknown { name: self.name.to_owned(), version: self.version }),
        }
    }
}

impl std::fmt::Display for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// Why an asset could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// There are no outputs to draw.
    #[error("the model produced no traits to draw")]
    NoTraits,
    /// The pixels do not fill the image.
    #[error("{pixels} pixels do not make a {width}×{height} image")]
    ImageShape { pixels: usize, width: usize, height: usize },
    /// A dimension or chunk is beyond what a PNG can hold.
    #[error("{0}")]
    PngLimit(&'static str),
    /// Compressing the image failed.
    #[error("compressing the image")]
    Compress(#[source] std::io::Error),
    /// The renderer draws a fixed number of outputs.
    #[error("the renderer draws {expected} outputs, the proof has {got}")]
    OutputCount { expected: usize, got: usize },
    /// No such renderer in this build.
    #[error("no renderer {name} version {version} in this build")]
    Unknown { name: String, version: u32 },
}

/// The crate's result type.
pub type Result<T, E = RenderError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sha2::{Digest, Sha256};

    use super::*;

    /// Known answers: the SHA-256 of `pixel-bands` v1 for fixed traits. The same bytes on
    /// every machine; a change here is a new renderer version, never an edit of this one.
    #[test]
    fn pixel_bands_v1_known_answers() {
        let cases: [(&[f32], &str); 3] =
            [(&[0.0, 0.0, 0.0, 0.0], KNOWN_ZEROS), (&[-0.25, 2.5, -0.875, 0.75], KNOWN_FIXTURE), (&[1.5], KNOWN_ONE)];
        let got: Vec<String> =
            cases.iter().map(|(traits, _)| hex::encode(Sha256::digest(PIXEL_BANDS.render(traits).unwrap()))).collect();
        let expected: Vec<&str> = cases.iter().map(|(_, e)| *e).collect();
        assert_eq!(got, expected);
        assert_eq!(Renderer::find("pixel-bands", 1), Some(PIXEL_BANDS));
        assert_eq!(Renderer::find("pixel-bands", 2), None);
        let ramp: Vec<f32> = (0..64).map(|i| i as f32 / 16.0 - 2.0).collect();
        let palette = hex::encode(Sha256::digest(PALETTE_8X8.render(&ramp).unwrap()));
        assert_eq!(palette, KNOWN_PALETTE_RAMP);
        let unknown = Renderer { name: "pixel-bands", version: 2, media_type: "image/png" };
        assert!(matches!(unknown.render(&[1.0]), Err(RenderError::Unknown { version: 2, .. })));
    }

    const KNOWN_ZEROS: &str = "d4bae9443b19b0a2c4b973f26ae780eb5f4e46dc32036d91ef5dfd823b66b40e";
    const KNOWN_FIXTURE: &str = "b5acecde9db7cbd939226198de49f2511a26680fb8278ab3299b3bfa5a1d8521";
    const KNOWN_PALETTE_RAMP: &str = "53963d99bfb008a54cecf9db7495e1c6c1ff3470fcd7065dfd61c219946babeb";
    const KNOWN_ONE: &str = "2d975bdb6f4f63ab7fb1632dc347d29cecb0d8fec80c04738937b5eeb2ee5ce5";
}
