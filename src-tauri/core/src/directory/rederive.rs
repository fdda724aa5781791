//! The attribute mappings in the directory: reading and saving them, the paths the stored
//! documents carry, and the re-derive that follows a change.
//!
//! Saving a mapping appends one activity line (method `MAPPING`) and remembers, in
//! `mapping_rederive`, that the provider's employees need their fields derived again from their
//! stored documents. The re-derive then goes through them in batches, each its own write
//! transaction through the one writer (so SCIM writes interleave), each advancing that record:
//! interrupted, it resumes where it got to. Any number of runners may work on it at once (the
//! app, a `scimdesk mapping set` beside it): each batch takes the next employees under the
//! writer's lock.

use super::attribute_map::{
    self, custom_json, load_columns, load_stored, mapping_for, AttributeMapping, ExportedMapping,
    MappingError, MappingInput, RederiveProgress, SeenAttribute, ValidMapping,
    EMPLOYEE_PROVIDER_SQL, SOURCES_SAMPLE,
};
use super::error::DirectoryError;
use super::history;
use super::mapping::EmployeeFields;
use super::{parse_doc, Directory};
use crate::connections::Provider;
use crate::events::ChangeEvent;
use crate::timefmt;

/// The activity method of a mapping change.
pub const MAPPING_METHOD: &str = "MAPPING";

/// Employees re-derived per transaction.
const BATCH: i64 = 500;

/// Why a mapping could not be saved: refused (on a field), or the directory failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SaveMappingError {
    #[error(transparent)]
    Refused(#[from] MappingError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

impl From<crate::db::StoreError> for SaveMappingError {
    fn from(e: crate::db::StoreError) -> Self {
        SaveMappingError::Directory(e.into())
    }
}

impl From<crate::db::sql::Error> for SaveMappingError {
    fn from(e: crate::db::sql::Error) -> Self {
        SaveMappingError::Directory(e.into())
    }
}

/// A re-derive's record: after which employee (`seq`) it goes on, how far it is, and the
/// activity line of its mapping change.
type RederiveState = (i64, u64, u64, Option<i64>);

/// Extension URN → its attributes (name, kind).
pub type CustomExtensions =
    std::collections::BTreeMap<String, Vec<(String, attribute_map::FieldKind)>>;

fn rederive_state(
    c: &crate::db::sql::Connection,
    provider: Provider,
) -> crate::db::sql::Result<Option<RederiveState>> {
    use crate::db::sql::OptionalExtension;
    c.prepare_cached(
        "SELECT after_seq, done, total, activity_seq FROM mapping_rederive WHERE provider = ?",
    )?
    .query_row([provider.as_str()], |r| {
        Ok((
            r.get(0)?,
            r.get::<_, i64>(1)?.max(0) as u64,
            r.get::<_, i64>(2)?.max(0) as u64,
            r.get(3)?,
        ))
    })
    .optional()
}

impl Directory {
    /// The attribute mapping of `provider`, with the re-derive under way.
    pub fn attribute_mapping(
        &self,
        provider: Provider,
    ) -> Result<AttributeMapping, DirectoryError> {
        Ok(self.db.read(|c| {
            let stored = load_stored(c, provider)?;
            let columns = load_columns(c)?;
            let rederive =
                rederive_state(c, provider)?.map(|(_, done, total, _)| RederiveProgress {
                    provider,
                    done,
                    total,
                });
            Ok(attribute_map::view(provider, &stored, &columns, rederive))
        })?)
    }

    /// The built-in fields `provider`'s mapping reads from another path than the default.
    pub fn moved_fields(&self, provider: Provider) -> Result<Vec<String>, DirectoryError> {
        let stored = self.db.read(|c| load_stored(c, provider))?;
        Ok(stored
            .paths
            .into_iter()
            .filter_map(|(key, path)| {
                let b = attribute_map::built_in(&key)?;
                (path.as_deref() != Some(b.default_path)).then_some(key)
            })
            .collect())
    }

    /// The custom fields, in the order the admin defined them.
    pub fn custom_fields(&self) -> Result<Vec<attribute_map::CustomFieldColumn>, DirectoryError> {
        Ok(self.db.read(load_columns)?)
    }

    /// The extension URNs `provider`'s custom fields read from, with their attributes: what
    /// `/Schemas` advertises to that provider.
    pub fn custom_extensions(
        &self,
        provider: Provider,
    ) -> Result<CustomExtensions, DirectoryError> {
        Ok(self.db.read(|c| {
            let columns = load_columns(c)?;
            let stored = load_stored(c, provider)?;
            Ok(attribute_map::custom_extensions(&[stored], &columns))
        })?)
    }

    /// Validates and saves `input` as `provider`'s mapping, and starts its re-derive (recorded
    /// in the database; [`Directory::rederive`] does the work). Nothing changes when refused.
    pub async fn save_mapping(
        &self,
        provider: Provider,
        input: &MappingInput,
    ) -> Result<AttributeMapping, SaveMappingError> {
        let valid = attribute_map::validate(input)?;
        self.store_mapping(provider, valid, "changed").await
    }

    /// Restores the default mapping of `provider`: its custom fields unmapped (and removed when
    /// no provider maps them any more); starts the re-derive.
    pub async fn reset_mapping(
        &self,
        provider: Provider,
    ) -> Result<AttributeMapping, SaveMappingError> {
        // The custom fields stay defined (and other providers keep mapping them); unmapped here.
        let columns = self.custom_fields()?;
        let mut input = attribute_map::input_of(&attribute_map::view(
            provider,
            &Default::default(),
            &columns,
            None,
        ));
        // Unlisted custom fields that no one maps are removed by `store`.
        input.fields.retain(|f| !f.custom);
        let valid = attribute_map::validate(&input)?;
        self.store_mapping(provider, valid, "reset to the default")
            .await
    }

    /// The mapping of `provider` as pretty JSON, as an import reads it.
    pub fn export_mapping(&self, provider: Provider) -> Result<String, DirectoryError> {
        let view = self.attribute_mapping(provider)?;
        let input = attribute_map::input_of(&view);
        let exported = ExportedMapping {
            provider: Some(provider),
            allow_shared_paths: input.allow_shared_paths,
            fields: input.fields,
        };
        Ok(serde_json::to_string_pretty(&exported).unwrap_or_default())
    }

    /// Validates and saves a mapping from its JSON (as [`Directory::export_mapping`] wrote it).
    pub async fn import_mapping(
        &self,
        provider: Provider,
        json: &str,
    ) -> Result<AttributeMapping, SaveMappingError> {
        let exported: ExportedMapping = serde_json::from_str(json).map_err(|e| MappingError {
            field: "json".into(),
            message: format!(
                "This is not a mapping SCIM Desk exported ({e}). Export a mapping to see the \
                 expected form."
            ),
        })?;
        let input = MappingInput {
            fields: exported.fields,
            allow_shared_paths: exported.allow_shared_paths,
        };
        let valid = attribute_map::validate(&input)?;
        self.store_mapping(provider, valid, "imported").await
    }

    async fn store_mapping(
        &self,
        provider: Provider,
        valid: ValidMapping,
        what: &'static str,
    ) -> Result<AttributeMapping, SaveMappingError> {
        let total = self
            .db
            .write(move |c| -> Result<u64, SaveMappingError> {
                attribute_map::store(c, provider, &valid)?;
                let total: i64 = c
                    .prepare_cached(&format!(
                        "SELECT COUNT(*) FROM employees e WHERE {EMPLOYEE_PROVIDER_SQL} = ?"
                    ))?
                    .query_row([provider.as_str()], |r| r.get(0))?;
                let total = total.max(0) as u64;
                c.prepare_cached(
                    "INSERT INTO activity (at, provider, method, operation, resource_type, \
                     summary, outcome, status) VALUES (?, ?, ?, 'mapping', 'User', ?, 'success', 200)",
                )?
                .execute(crate::db::sql::params![
                    timefmt::now(),
                    provider.as_str(),
                    MAPPING_METHOD,
                    format!(
                        "Mapping for {} {what}: re-deriving {} employee{}",
                        provider.display_name(),
                        crate::config::thousands(total),
                        if total == 1 { "" } else { "s" }
                    ),
                ])?;
                let activity_seq = c.last_insert_rowid()?;
                if total == 0 {
                    c.prepare_cached("DELETE FROM mapping_rederive WHERE provider = ?")?
                        .execute([provider.as_str()])?;
                } else {
                    c.prepare_cached(
                        "INSERT INTO mapping_rederive (provider, after_seq, done, total, activity_seq) \
                         VALUES (?1, 0, 0, ?2, ?3) ON CONFLICT (provider) DO UPDATE SET \
                         after_seq = 0, done = 0, total = ?2, activity_seq = ?3",
                    )?
                    .execute(crate::db::sql::params![provider.as_str(), total as i64, activity_seq])?;
                }
                Ok(total)
            })
            .await?;
        self.db.note_written();
        self.notify(ChangeEvent::Activity {
            connection_id: None,
        });
        self.notify(ChangeEvent::Rederive {
            provider,
            done: 0,
            total,
            finished: total == 0,
        });
        Ok(self.attribute_mapping(provider)?)
    }

    /// The providers with a re-derive to do or finish (one interrupted by a restart included).
    pub fn pending_rederives(&self) -> Result<Vec<Provider>, DirectoryError> {
        Ok(self.db.read(|c| {
            let mut out = Vec::new();
            for p in Provider::ALL {
                if rederive_state(c, p)?.is_some() {
                    out.push(p);
                }
            }
            Ok(out)
        })?)
    }

    /// Re-derives `provider`'s employees until none is left, telling `progress` after each
    /// batch (and sending [`ChangeEvent::Rederive`]); answers the last progress.
    pub async fn rederive(
        &self,
        provider: Provider,
        mut progress: impl FnMut(RederiveProgress, bool),
    ) -> Result<Option<RederiveProgress>, DirectoryError> {
        let mut last = None;
        loop {
            let mappings = self.mappings.clone();
            let step = self
                .db
                .write(
                    move |c| -> Result<Option<(u64, u64, bool)>, DirectoryError> {
                        rederive_batch(c, &mappings, provider)
                    },
                )
                .await?;
            let Some((done, total, finished)) = step else {
                return Ok(last);
            };
            self.db.note_written();
            let now = RederiveProgress {
                provider,
                done,
                total,
            };
            last = Some(now);
            progress(now, finished);
            self.notify(ChangeEvent::Rederive {
                provider,
                done,
                total,
                finished,
            });
            if finished {
                return Ok(last);
            }
        }
    }

    /// Runs `provider`'s re-derive in the background of this process (one runner a provider:
    /// a runner already at work picks up a re-derive saved meanwhile before it stops).
    pub fn rederive_in_background(&self, provider: Provider) {
        {
            let mut running = self.rederiving.lock().unwrap_or_else(|p| p.into_inner());
            if !running.insert(provider) {
                return;
            }
        }
        let directory = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = directory.rederive(provider, |_, _| ()).await {
                    tracing::warn!(error = %e, %provider, "the re-derive of employees stopped");
                }
                let mut running = directory
                    .rederiving
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                let pending = directory
                    .pending_rederives()
                    .map(|p| p.contains(&provider))
                    .unwrap_or(false);
                if !pending {
                    running.remove(&provider);
                    return;
                }
            }
        });
    }

    /// SCIM attribute paths seen in the newest stored documents of `provider`'s employees, with
    /// examples, most common first.
    pub async fn mapping_sources(
        &self,
        provider: Provider,
    ) -> Result<Vec<SeenAttribute>, DirectoryError> {
        let docs: Vec<String> = self.db.read(|c| {
            // The newest employees, whoever provisioned them, and of those the provider's: a
            // bounded read even when the provider has few employees among a million.
            c.prepare_cached(&format!(
                "SELECT e.doc FROM (SELECT * FROM employees ORDER BY seq DESC LIMIT {}) e \
                 WHERE {EMPLOYEE_PROVIDER_SQL} = ? AND e.status <> 'removed' LIMIT {SOURCES_SAMPLE}",
                SOURCES_SAMPLE * 10
            ))?
            .query_map([provider.as_str()], |r| r.get(0))?
            .collect()
        })?;
        let parsed: Vec<_> = docs.iter().filter_map(|d| parse_doc(d).ok()).collect();
        Ok(attribute_map::tally_sources(parsed.iter()))
    }
}

/// One batch of a re-derive, inside its write transaction: `(done, total, finished)`, or `None`
/// when there is no re-derive to do for `provider`.
fn rederive_batch(
    c: &crate::db::sql::Connection,
    mappings: &std::sync::Mutex<attribute_map::MappingCache>,
    provider: Provider,
) -> Result<Option<(u64, u64, bool)>, DirectoryError> {
    let Some((after, done, total, activity_seq)) = rederive_state(c, provider)? else {
        return Ok(None);
    };
    let mapping = mapping_for(mappings, c, provider)?;
    // The next employees in the directory's order, whoever provisioned them (so that a batch
    // reads a bounded number of rows however few are the provider's), and of those the
    // provider's.
    let scanned = c
        .prepare_cached(&format!(
            "SELECT e.seq, e.id, e.doc, e.user_name, e.external_id, e.email, e.display_name, \
             e.first_name, e.last_name, e.job_title, e.department, e.business_unit, \
             e.manager_email, e.location, e.employee_id, e.custom, \
             {EMPLOYEE_PROVIDER_SQL} = ? FROM employees e \
             WHERE e.seq > ? ORDER BY e.seq LIMIT {BATCH}"
        ))?
        .query_map(crate::db::sql::params![provider.as_str(), after], |r| {
            let custom: String = r.get(15)?;
            Ok((
                r.get::<_, bool>(16)?,
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                EmployeeFields {
                    user_name: r.get(3)?,
                    external_id: r.get(4)?,
                    email: r.get(5)?,
                    display_name: r.get(6)?,
                    first_name: r.get(7)?,
                    last_name: r.get(8)?,
                    job_title: r.get(9)?,
                    department: r.get(10)?,
                    business_unit: r.get(11)?,
                    manager_email: r.get(12)?,
                    location: r.get(13)?,
                    employee_id: r.get(14)?,
                    active: None,
                    custom: serde_json::from_str(&custom).unwrap_or_default(),
                },
            ))
        })?
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    let finished = (scanned.len() as i64) < BATCH;
    let last_seq = scanned.last().map_or(after, |r| r.1);
    let rows: Vec<_> = scanned
        .into_iter()
        .filter(|r| r.0)
        .map(|(_, seq, id, doc, before)| (seq, id, doc, before))
        .collect();
    for (seq, id, doc, before) in &rows {
        let Ok(doc) = parse_doc(doc) else {
            continue;
        };
        let mut after = mapping.derive(&doc);
        after.active = None;
        // userName and externalId are never remapped: what is stored stays.
        after.user_name.clone_from(&before.user_name);
        after.external_id.clone_from(&before.external_id);
        if &after == before {
            continue;
        }
        let custom = custom_json(&after);
        // A new email or manager may link or unlink people: how this one read before, for their
        // history.
        let was = match after.email != before.email || after.manager_email != before.manager_email {
            true => Some(super::users::Was::read(c, id)?),
            false => None,
        };
        c.prepare_cached(
            "UPDATE employees SET email = ?, display_name = ?, first_name = ?, last_name = ?, \
             job_title = ?, department = ?, business_unit = ?, manager_email = ?, location = ?, \
             employee_id = ?, custom = ? WHERE seq = ?",
        )?
        .execute(crate::db::sql::params![
            after.email,
            after.display_name,
            after.first_name,
            after.last_name,
            after.job_title,
            after.department,
            after.business_unit,
            after.manager_email,
            after.location,
            after.employee_id,
            custom,
            seq
        ])?;
        let links = match &was {
            Some(was) => super::users::resolve_managers(c, id, after.email.as_deref(), false, was)?,
            None => Vec::new(),
        };
        if let Some(activity_seq) = activity_seq {
            let changes = history::diff(before, &after);
            super::users::record_changes(c, id, activity_seq, changes, links)?;
        }
    }
    let done = done + rows.len() as u64;
    if finished {
        c.prepare_cached("DELETE FROM mapping_rederive WHERE provider = ?")?
            .execute([provider.as_str()])?;
    } else {
        c.prepare_cached("UPDATE mapping_rederive SET after_seq = ?, done = ? WHERE provider = ?")?
            .execute(crate::db::sql::params![
                last_seq,
                done as i64,
                provider.as_str()
            ])?;
    }
    // Employees who arrived meanwhile count too.
    let total = total.max(done);
    Ok(Some((if finished { total } else { done }, total, finished)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::directory::attribute_map::{FieldKind, MappedFieldInput};
    use crate::directory::bulk::synthetic_user;
    use crate::directory::WriteContext;
    use crate::scim::schema::ENTERPRISE_USER_SCHEMA;
    use tokio::sync::broadcast;

    const ACME: &str = "urn:example:params:scim:schemas:extension:acme:2.0:User";

    fn ctx() -> WriteContext {
        WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            provider: Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        }
    }

    /// The `n`-th synthetic employee, carrying a custom extension with a job code.
    fn user(n: u64) -> serde_json::Value {
        let mut u = synthetic_user(n);
        u["schemas"].as_array_mut().unwrap().push(ACME.into());
        u[ACME] = serde_json::json!({"jobCode": format!("JC-{n}"), "costCenter": n * 10});
        u
    }

    fn field(
        key: &str,
        label: &str,
        kind: FieldKind,
        custom: bool,
        path: &str,
    ) -> MappedFieldInput {
        MappedFieldInput {
            key: key.into(),
            label: label.into(),
            kind,
            custom,
            path: Some(path.into()),
        }
    }

    fn job_code_mapping() -> MappingInput {
        MappingInput {
            fields: vec![
                field(
                    "job_title",
                    "",
                    FieldKind::Text,
                    false,
                    &format!("{ACME}:jobCode"),
                ),
                field(
                    "cost_center",
                    "Cost center",
                    FieldKind::Number,
                    true,
                    &format!("{ACME}:costCenter"),
                ),
            ],
            allow_shared_paths: false,
        }
    }

    async fn titles(d: &Directory) -> Vec<(String, Option<String>, Option<String>)> {
        let mut out: Vec<_> = d
            .employees(&crate::directory::EmployeeQuery::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|e| {
                (
                    e.user_name,
                    e.job_title,
                    e.custom.get("cost_center").cloned(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Saving a mapping re-derives every employee from the stored documents, batch by batch,
    /// with progress; writes afterwards derive with it; a reset gives the defaults back.
    #[tokio::test]
    async fn a_saved_mapping_rederives_every_employee_and_the_next_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db, broadcast::channel(64).0);
        let count = BATCH as u64 * 2 + 7;
        d.import_users(&ctx(), (0..count).map(user)).await.unwrap();
        assert!(titles(&d)
            .await
            .iter()
            .all(|(_, t, c)| t.is_some() && c.is_none()));

        let saved = d
            .save_mapping(Provider::Okta, &job_code_mapping())
            .await
            .unwrap();
        assert_eq!(
            saved.rederive,
            Some(RederiveProgress {
                provider: Provider::Okta,
                done: 0,
                total: count
            })
        );
        let mut seen = Vec::new();
        d.rederive(Provider::Okta, |p, finished| seen.push((p.done, finished)))
            .await
            .unwrap();
        assert_eq!(
            seen,
            vec![(500, false), (1000, false), (count, true)],
            "one step a batch"
        );
        for (user_name, title, cost) in titles(&d).await {
            let n: u64 = user_name["seed-".len()..user_name.find('@').unwrap()]
                .parse()
                .unwrap();
            assert_eq!(title, Some(format!("JC-{n}")));
            assert_eq!(cost, Some((n * 10).to_string()));
        }
        assert_eq!(d.attribute_mapping(Provider::Okta).unwrap().rederive, None);

        // SCIM filters still mean the attributes Okta sent, not the columns now derived.
        let base = ctx().base_url;
        let listed = |filter: &str| {
            let q = crate::scim::list::ListQuery {
                filter: Some(filter.to_owned()),
                start_index: 1,
                count: 1,
                ..Default::default()
            };
            let (d, base) = (d.clone(), base.clone());
            async move { d.list_users(&base, &q).await.unwrap()["totalResults"].clone() }
        };
        assert_eq!(listed("title eq \"Engineer\"").await, count.div_ceil(4));
        assert_eq!(listed("title eq \"JC-1\"").await, 0);
        assert_eq!(listed("userName eq \"seed-1@seed.example\"").await, 1);

        // The next write derives with the saved mapping too.
        let created = d.create_user(&ctx(), user(9_999)).await.unwrap();
        let e = d.employee(created.id()).await.unwrap().unwrap();
        assert_eq!(e.job_title.as_deref(), Some("JC-9999"));
        assert_eq!(
            e.custom.get("cost_center").map(String::as_str),
            Some("99990")
        );

        // The custom value is searched.
        let found = d
            .employees(&crate::directory::EmployeeQuery {
                search: Some("99990".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(found.items.len(), 1);

        d.reset_mapping(Provider::Okta).await.unwrap();
        d.rederive(Provider::Okta, |_, _| ()).await.unwrap();
        assert!(d.custom_fields().unwrap().is_empty(), "no provider maps it");
        for (_, title, cost) in titles(&d).await {
            assert!(matches!(
                title.as_deref(),
                Some("Engineer" | "Analyst" | "Manager" | "Designer")
            ));
            assert_eq!(cost, None);
        }
    }

    /// A re-derive stopped after a batch (the app quit) goes on from there in another process,
    /// and a process that cached the old mapping derives its next write with the new one.
    #[tokio::test]
    async fn a_rederive_resumes_and_other_processes_see_the_new_mapping() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db.clone(), broadcast::channel(64).0);
        let other = Directory::new(db.clone(), broadcast::channel(64).0);
        d.import_users(&ctx(), (0..(BATCH as u64 + 10)).map(user))
            .await
            .unwrap();
        // `other` caches the default mapping with a write.
        other.create_user(&ctx(), user(5_000)).await.unwrap();

        d.save_mapping(Provider::Okta, &job_code_mapping())
            .await
            .unwrap();
        let mappings = d.mappings.clone();
        let first = db
            .write(move |c| rederive_batch(c, &mappings, Provider::Okta))
            .await
            .unwrap();
        assert_eq!(first, Some((BATCH as u64, BATCH as u64 + 11, false)));
        assert_eq!(d.pending_rederives().unwrap(), vec![Provider::Okta]);
        let rest = Directory::new(db.clone(), broadcast::channel(64).0)
            .rederive(Provider::Okta, |_, _| ())
            .await
            .unwrap();
        assert_eq!(
            rest,
            Some(RederiveProgress {
                provider: Provider::Okta,
                done: BATCH as u64 + 11,
                total: BATCH as u64 + 11
            })
        );
        assert!(d.pending_rederives().unwrap().is_empty());
        assert!(titles(&d)
            .await
            .iter()
            .all(|(_, t, _)| t.as_deref().is_some_and(|t| t.starts_with("JC-"))));

        let created = other.create_user(&ctx(), user(5_001)).await.unwrap();
        let e = other.employee(created.id()).await.unwrap().unwrap();
        assert_eq!(e.job_title.as_deref(), Some("JC-5001"), "the new mapping");
    }

    /// A provider's mapping re-derives its own employees only: Entra's change leaves the
    /// employees Okta provisioned alone, even spread through the directory's order.
    #[tokio::test]
    async fn a_mapping_rederives_only_its_providers_employees() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        db.write(|c| {
            c.execute(
                "INSERT INTO connections (id, name, token_sha256, created_at, provider) \
                 VALUES ('c2', 'Entra', x'00', '2026-01-01T00:00:00.000Z', 'entra')",
                (),
            )
            .map_err(crate::db::direct_error)
        })
        .await
        .unwrap();
        let d = Directory::new(db, broadcast::channel(64).0);
        let entra = WriteContext {
            connection_id: "c2".into(),
            connection_name: "Entra".into(),
            provider: Provider::Entra,
            base_url: "http://127.0.0.1:1/scim/v2/c2".into(),
        };
        // Okta's and Entra's employees alternate in runs longer than a batch.
        for run in 0..4u64 {
            let users = (run * 600..run * 600 + 600).map(user);
            let ctx = if run % 2 == 0 { ctx() } else { entra.clone() };
            d.import_users(&ctx, users).await.unwrap();
        }
        let saved = d
            .save_mapping(Provider::Entra, &job_code_mapping())
            .await
            .unwrap();
        assert_eq!(saved.rederive.unwrap().total, 1200);
        let last = d
            .rederive(Provider::Entra, |_, _| ())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((last.done, last.total), (1200, 1200));
        for (user_name, title, _) in titles(&d).await {
            let n: u64 = user_name["seed-".len()..user_name.find('@').unwrap()]
                .parse()
                .unwrap();
            let entra_one = (n / 600) % 2 == 1;
            assert_eq!(
                title.as_deref().is_some_and(|t| t.starts_with("JC-")),
                entra_one,
                "{n}"
            );
        }
        assert!(d.attribute_mapping(Provider::Okta).unwrap().is_default);
    }

    /// The app's background runner: progress events from the start to `finished`, and the
    /// mapping's view without a re-derive once it is done.
    #[tokio::test]
    async fn the_background_rederive_sends_progress_until_finished() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let (events, mut heard) = broadcast::channel(256);
        let d = Directory::new(db, events);
        d.import_users(&ctx(), (0..(BATCH as u64 + 1)).map(user))
            .await
            .unwrap();
        d.save_mapping(Provider::Okta, &job_code_mapping())
            .await
            .unwrap();
        d.rederive_in_background(Provider::Okta);
        d.rederive_in_background(Provider::Okta);
        let mut steps = Vec::new();
        loop {
            if let ChangeEvent::Rederive {
                done,
                total,
                finished,
                ..
            } = heard.recv().await.unwrap()
            {
                steps.push((done, total, finished));
                if finished {
                    break;
                }
            }
        }
        let total = BATCH as u64 + 1;
        assert_eq!(
            steps,
            vec![
                (0, total, false),
                (BATCH as u64, total, false),
                (total, total, true)
            ]
        );
        assert_eq!(d.attribute_mapping(Provider::Okta).unwrap().rederive, None);
    }

    /// A refused mapping changes nothing; an import of unreadable JSON is refused on `json`.
    #[tokio::test]
    async fn a_refused_mapping_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db, broadcast::channel(64).0);
        d.import_users(&ctx(), (0..3).map(user)).await.unwrap();
        let mut bad = job_code_mapping();
        bad.fields.push(field(
            "department",
            "",
            FieldKind::Text,
            false,
            &format!("{ENTERPRISE_USER_SCHEMA}:department["),
        ));
        let Err(SaveMappingError::Refused(e)) = d.save_mapping(Provider::Okta, &bad).await else {
            panic!("refused");
        };
        assert_eq!(e.field, "fields.department.path");
        assert!(d.attribute_mapping(Provider::Okta).unwrap().is_default);
        assert!(d.pending_rederives().unwrap().is_empty());
        let Err(SaveMappingError::Refused(e)) = d.import_mapping(Provider::Okta, "[1,").await
        else {
            panic!("refused");
        };
        assert_eq!(e.field, "json");
        // What an export writes, an import reads back.
        d.save_mapping(Provider::Okta, &job_code_mapping())
            .await
            .unwrap();
        let exported = d.export_mapping(Provider::Okta).unwrap();
        let back = d.import_mapping(Provider::Entra, &exported).await.unwrap();
        assert_eq!(
            back.fields,
            d.attribute_mapping(Provider::Okta).unwrap().fields
        );
        let sources = d.mapping_sources(Provider::Okta).await.unwrap();
        let job = sources
            .iter()
            .find(|s| s.path == format!("{ACME}:jobCode"))
            .unwrap();
        assert_eq!(job.employees, 3);
        assert_eq!(job.examples.len(), 3);
        assert!(d.mapping_sources(Provider::Entra).await.unwrap().is_empty());
    }
}
