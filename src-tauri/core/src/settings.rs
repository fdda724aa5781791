//! The settings table: a key and a text value per setting, read whole (the handful of keys fit
//! in one query) and written several keys in one transaction. What the keys mean, their
//! defaults and their validation are `config`'s; this module only stores them.

use std::collections::HashMap;

use crate::db::sql::OptionalExtension;

use crate::db::{direct_error, Db, StoreError};

/// The settings table of one database.
#[derive(Clone)]
pub struct Settings {
    db: Db,
}

impl Settings {
    pub fn new(db: Db) -> Settings {
        Settings { db }
    }

    /// One setting's stored value, if it is set.
    pub async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.db
            .read_async(move |c| {
                c.prepare_cached("SELECT value FROM settings WHERE key = ?")?
                    .query_row([&key], |r| r.get(0))
                    .optional()
            })
            .await
    }

    /// Every stored setting.
    pub async fn all(&self) -> Result<HashMap<String, String>, StoreError> {
        self.db
            .read_async(|c| {
                c.prepare_cached("SELECT key, value FROM settings")?
                    .query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .await
    }

    /// Several settings in one transaction; `None` removes a key.
    pub async fn put(&self, writes: &[(&str, Option<String>)]) -> Result<(), StoreError> {
        let writes: Vec<(String, Option<String>)> = writes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        self.db.write(move |c| write_all(c, &writes)).await
    }

    /// Reads `keys` and writes what `decide` makes of them, in one transaction: another process
    /// on this data directory sees the values before or after, never a decision made on values
    /// it has changed meanwhile. `decide` answers its result and the writes (`None` removes a
    /// key).
    pub async fn update<T: Send + 'static>(
        &self,
        keys: &[&str],
        decide: impl FnOnce(&HashMap<String, String>) -> (T, Vec<(String, Option<String>)>)
            + Send
            + 'static,
    ) -> Result<T, StoreError> {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        self.db
            .write(move |c| {
                let mut current = HashMap::new();
                for key in &keys {
                    let value: Option<String> = c
                        .query_row("SELECT value FROM settings WHERE key = ?", [key], |r| {
                            r.get(0)
                        })
                        .optional()
                        .map_err(direct_error)?;
                    if let Some(value) = value {
                        current.insert(key.clone(), value);
                    }
                }
                let (answer, writes) = decide(&current);
                write_all(c, &writes)?;
                Ok(answer)
            })
            .await
    }
}

/// Writes each setting (`None` removes the key), inside the caller's transaction.
fn write_all(
    c: &crate::db::sql::Connection,
    writes: &[(String, Option<String>)],
) -> Result<(), StoreError> {
    for (key, value) in writes {
        match value {
            Some(v) => c.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, v],
            ),
            None => c.execute("DELETE FROM settings WHERE key = ?", [key]),
        }
        .map_err(direct_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_are_written_together_read_back_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let settings = Settings::new(db.clone());
        assert_eq!(settings.get("listen").await.unwrap(), None);
        settings
            .put(&[
                ("listen", Some("127.0.0.1:8484".into())),
                ("okta-enabled", Some("false".into())),
            ])
            .await
            .unwrap();
        assert_eq!(
            settings.get("listen").await.unwrap().as_deref(),
            Some("127.0.0.1:8484")
        );
        settings
            .put(&[
                ("okta-enabled", None),
                ("listen", Some("127.0.0.1:9000".into())),
            ])
            .await
            .unwrap();
        let all = settings.all().await.unwrap();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all["listen"], "127.0.0.1:9000");
        db.close().await;
    }
}
