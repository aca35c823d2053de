//! The company's look on the public pages (help center, portal, feedback form): its name, an
//! accent colour and a logo. Kept in the settings row `branding` (the logo's bytes in the
//! blob store); read often, so each node keeps a copy for a few seconds.

use crate::{Engine, EngineError, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::{Duration, Instant};
use steward_domain::{Actor, validate};
use steward_store::{now_ms, settings};

const SETTINGS: &str = "branding";
/// How long a node trusts its copy (another node may have changed it).
const FRESH: Duration = Duration::from_secs(5);
/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// The company's name; the configured product name when empty.
    pub name: String,
    /// `#rrggbb`; the default dark blue when empty.
    pub colour: String,
    /// The logo in the blob store, and its type.
    pub logo_sha256: Option<String>,
    pub logo_type: Option<String>,
}

/// What an admin sends.
pub struct BrandingInput {
    pub name: String,
    pub colour: String,
    /// A new logo: (content type, bytes).
    pub logo: Option<(String, Vec<u8>)>,
    pub remove_logo: bool,
}

pub(crate) type Cached = std::sync::Mutex<Option<(Instant, Branding)>>;

fn check_colour(c: &str) -> Result<String> {
    let c = c.trim();
    if c.is_empty() {
        return Ok(String::new());
    }
    if c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit()) {
        Ok(c.to_lowercase())
    } else {
        Err(EngineError::invalid("colour", "must look like #1b2a41"))
    }
}

/// Only raster images: an SVG logo could carry script.
fn check_logo(content_type: &str, bytes: &[u8]) -> Result<()> {
    if !matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    ) {
        return Err(EngineError::invalid(
            "logo",
            "must be a PNG, JPEG, GIF or WebP image",
        ));
    }
    if bytes.is_empty() || bytes.len() > MAX_LOGO_BYTES {
        return Err(EngineError::invalid("logo", "must be at most 512 KB"));
    }
    Ok(())
}

impl Engine {
    pub async fn branding(&self) -> Result<Branding> {
        if let Ok(guard) = self.branding_cache.lock()
            && let Some((at, b)) = guard.as_ref()
            && at.elapsed() < FRESH
        {
            return Ok(b.clone());
        }
        let mut conn = self.store.pool().acquire().await?;
        let b: Branding = settings::get(&mut conn, SETTINGS)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        if let Ok(mut guard) = self.branding_cache.lock() {
            *guard = Some((Instant::now(), b.clone()));
        }
        Ok(b)
    }

    /// The branding without waiting: this node's copy (the defaults before the first read);
    /// an old copy is refreshed in the background for the next request.
    pub fn branding_now(&self) -> Branding {
        let Ok(mut guard) = self.branding_cache.lock() else {
            return Branding::default();
        };
        let copy = guard.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
        let stale = guard.as_ref().is_none_or(|(at, _)| at.elapsed() >= FRESH);
        if stale && tokio::runtime::Handle::try_current().is_ok() {
            // Marked fresh now, so one refresh runs at a time.
            *guard = Some((Instant::now(), copy.clone()));
            let engine = self.clone();
            tokio::spawn(async move {
                if let Ok(mut g) = engine.branding_cache.lock() {
                    g.take();
                }
                if let Err(e) = engine.branding().await {
                    tracing::warn!(error = %e, "cannot read the branding");
                }
            });
        }
        copy
    }

    /// The logo's type and bytes, if one is set.
    pub async fn brand_logo(&self) -> Result<(String, Vec<u8>)> {
        let b = self.branding().await?;
        match (b.logo_sha256, b.logo_type) {
            (Some(sha), Some(ct)) => Ok((ct, self.store.blobs.get(&sha).await?)),
            _ => Err(EngineError::not_found("logo")),
        }
    }

    /// Changes the branding (admins).
    pub async fn set_branding(&self, by: &Actor, input: BrandingInput) -> Result<Branding> {
        by.may_administer()?;
        let name = validate::bounded("name", &input.name, 100)?;
        let colour = check_colour(&input.colour)?;
        let before = self.branding().await?;
        let (logo_sha256, logo_type) = match input.logo {
            Some((ct, bytes)) => {
                check_logo(&ct, &bytes)?;
                (Some(self.store.blobs.put(&bytes).await?), Some(ct))
            }
            None if input.remove_logo => (None, None),
            None => (before.logo_sha256.clone(), before.logo_type.clone()),
        };
        let after = Branding {
            name,
            colour,
            logo_sha256,
            logo_type,
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        settings::set(&mut tx, SETTINGS, &json!(after).to_string(), at).await?;
        crate::directory::log(
            &mut tx,
            Some(by),
            "settings",
            0,
            "settings.changed",
            json!({"name": SETTINGS, "before": before, "after": after}),
            at,
        )
        .await?;
        tx.commit().await?;
        if let Ok(mut guard) = self.branding_cache.lock() {
            *guard = Some((Instant::now(), after.clone()));
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::{check_colour, check_logo};

    #[test]
    fn a_colour_is_six_hex_digits_and_a_logo_a_small_raster_image() {
        assert_eq!(check_colour(" #1B2A41 ").ok().as_deref(), Some("#1b2a41"));
        assert_eq!(check_colour("").ok().as_deref(), Some(""));
        assert!(check_colour("red").is_err());
        assert!(check_colour("#12345g").is_err());
        assert!(check_logo("image/png", b"png").is_ok());
        assert!(check_logo("image/svg+xml", b"<svg/>").is_err());
        assert!(check_logo("image/png", &vec![0; 600 * 1024]).is_err());
    }
}
