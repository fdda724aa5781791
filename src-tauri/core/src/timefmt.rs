//! The one time format the directory stores and SCIM returns.
//!
//! RFC 3339 in UTC with milliseconds (`2026-11-29T11:09:08.123Z`): fixed width, so text order is
//! time order and SQLite can compare and index the strings directly.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Now, in the stored format.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_utc_with_millis() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_764_414_548_123_456_789).unwrap();
        assert_eq!(format(t), "2025-11-29T11:09:08.123Z");
        assert_eq!(now().len(), 24);
    }
}
