//! Bulk import: many users at once, through the store, with the same columns and stored
//! documents the SCIM path writes — for seeding a directory (the benchmark), not for Okta.
//!
//! Rows go in large transactions without an activity line each (one line says what was
//! imported), and managers are linked once at the end rather than per row.
//!
//! No history rows (`history.rs`): an import seeds a directory (a million employees for the
//! benchmark), and a dozen rows per employee would double what it writes for changes no
//! identity provider made. An imported employee's history begins at its `created_at`, which the
//! "as of" view reads as its arrival (before it: not in the directory yet), and its first change
//! after the import is recorded like anyone's.

use serde_json::{json, Value};

use super::attribute_map::mapping_for;
use super::error::DirectoryError;
use super::mapping::normalize_user;
use super::users::insert_employee;
use super::{Directory, WriteContext};
use crate::db::is_unique_violation;
use crate::events::ChangeEvent;
use crate::scim::schema::{ENTERPRISE_USER_SCHEMA, USER_SCHEMA};
use crate::scim::ScimError;
use crate::timefmt;

/// Rows per transaction: large enough that the fsync per commit does not matter.
const CHUNK: usize = 20_000;

/// The `n`-th synthetic employee, as Okta would send it: `seed-<n>@seed.example`, reporting to
/// employee `n / 10`.
pub fn synthetic_user(n: u64) -> Value {
    let email = format!("seed-{n}@seed.example");
    let title = ["Engineer", "Analyst", "Manager", "Designer"][(n % 4) as usize];
    let city = ["Paris", "Lyon", "Berlin"][(n % 3) as usize];
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": email,
        "externalId": format!("00useed{n:010}"),
        "name": {"givenName": format!("Given{n}"), "familyName": format!("Family{}", n % 997)},
        "displayName": format!("Given{n} Family{}", n % 997),
        "emails": [{"value": email, "type": "work", "primary": true}],
        "title": title,
        "addresses": [{"type": "work", "locality": city}],
        "active": true,
        ENTERPRISE_USER_SCHEMA: {
            "department": format!("Dept {}", n % 50),
            "division": format!("Division {}", n % 7),
            "employeeNumber": format!("{n}"),
            "manager": {"value": format!("seed-{}@seed.example", n / 10)},
        },
    })
}

impl Directory {
    /// Appends `count` synthetic activity lines dated `at`, for no connection, in large
    /// transactions: history to prune, for the retention's tests.
    pub async fn seed_activity(&self, count: u64, at: &str) -> Result<u64, DirectoryError> {
        let mut left = count;
        while left > 0 {
            let chunk = left.min(CHUNK as u64);
            let at = at.to_owned();
            self.db
                .write(move |c| -> Result<(), DirectoryError> {
                    let mut insert = c.prepare_cached(
                        "INSERT INTO activity (at, method, operation, resource_type, summary, \
                         outcome, status) VALUES (?, 'POST', 'create', 'User', ?, 'success', 201)",
                    )?;
                    for n in 0..chunk {
                        insert.execute(crate::db::sql::params![at, format!("Seeded line {n}")])?;
                    }
                    Ok(())
                })
                .await?;
            left -= chunk;
        }
        self.notify(ChangeEvent::Activity {
            connection_id: None,
        });
        Ok(count)
    }

    /// Imports `users` (SCIM user documents) for the connection in `ctx`; returns how many.
    /// A duplicate userName stops the import with a 409 (the chunks before it stay).
    pub async fn import_users(
        &self,
        ctx: &WriteContext,
        users: impl IntoIterator<Item = Value>,
    ) -> Result<u64, DirectoryError> {
        let mut users = users.into_iter().peekable();
        let mut imported = 0u64;
        while users.peek().is_some() {
            let chunk: Vec<Value> = users.by_ref().take(CHUNK).collect();
            let writer = ctx.clone();
            let mappings = self.mappings.clone();
            imported += self
                .db
                .write(move |c| -> Result<u64, DirectoryError> {
                    let now = timefmt::now();
                    let mapping = mapping_for(&mappings, c, writer.provider)?;
                    for body in chunk.iter().cloned() {
                        let mut doc = normalize_user(body)?;
                        let f = mapping.derive(&doc);
                        let active = f.active.unwrap_or(true);
                        doc.insert("active".into(), Value::Bool(active));
                        let doc = Value::Object(doc).to_string();
                        let id = uuid::Uuid::new_v4().to_string();
                        match insert_employee(c, &f, active, &doc, &id, &writer.connection_id, &now)
                        {
                            Ok(()) => {}
                            Err(e) if is_unique_violation(&e) => {
                                return Err(ScimError::conflict(format!(
                                    "A user with userName '{}' already exists in this directory.",
                                    f.user_name
                                ))
                                .into())
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    Ok(chunk.len() as u64)
                })
                .await?;
        }
        // Managers, once for everyone: each employee still waiting for one is linked to the
        // first current employee with its manager's email.
        let writer = ctx.clone();
        self.db
            .write(move |c| -> Result<(), DirectoryError> {
                c.execute(
                    "UPDATE employees SET manager_id = (SELECT m.id FROM employees m \
                       WHERE m.email = employees.manager_email COLLATE NOCASE \
                       AND m.status <> 'removed' ORDER BY m.seq LIMIT 1) \
                     WHERE manager_id IS NULL AND manager_email IS NOT NULL \
                     AND status <> 'removed'",
                    (),
                )?;
                super::activity::append(
                    c,
                    &writer,
                    super::activity::NewActivity {
                        method: "IMPORT",
                        operation: "import",
                        resource_type: "User",
                        resource_id: None,
                        employee_id: None,
                        summary: format!("Imported {imported} employees"),
                        status: 200,
                        detail: None,
                    },
                )?;
                Ok(())
            })
            .await?;
        self.notify(ChangeEvent::Activity {
            connection_id: Some(ctx.connection_id.clone()),
        });
        Ok(imported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::scim::list::ListQuery;

    /// Imported users read back exactly as if Okta had created them, managers linked.
    #[tokio::test]
    async fn imported_users_are_what_scim_would_have_stored() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let (events, _) = tokio::sync::broadcast::channel(16);
        let directory = Directory::new(db, events);
        let ctx = WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            provider: crate::connections::Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        };
        let n = directory
            .import_users(&ctx, (0..25).map(synthetic_user))
            .await
            .unwrap();
        assert_eq!(n, 25);
        let via_scim = directory
            .create_user(&ctx, synthetic_user(25))
            .await
            .unwrap()
            .render(&ctx.base_url)
            .unwrap();

        let q = ListQuery {
            filter: Some("userName eq \"seed-12@seed.example\"".into()),
            ..ListQuery::default()
        };
        let list = directory.list_users(&ctx.base_url, &q).await.unwrap();
        let imported = &list["Resources"][0];
        // Same shape of document as the SCIM create wrote (values differ by seed number).
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(imported), keys(&via_scim));
        assert_eq!(imported["title"], json!("Engineer"));
        assert_eq!(imported["addresses"][0]["locality"], json!("Paris"));
        assert_eq!(imported["active"], json!(true));

        let e = directory
            .employees(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|e| e.user_name == "seed-12@seed.example")
            .unwrap();
        let manager = directory
            .employees(&Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|m| m.user_name == "seed-1@seed.example")
            .unwrap();
        assert_eq!(e.manager_id.as_deref(), Some(manager.id.as_str()));
        assert_eq!(e.department.as_deref(), Some("Dept 12"));
        assert_eq!(e.connection_id.as_deref(), Some("c1"));

        let again = directory
            .import_users(&ctx, [synthetic_user(3)])
            .await
            .unwrap_err();
        assert_eq!(again.to_scim().status, 409);
    }
}
