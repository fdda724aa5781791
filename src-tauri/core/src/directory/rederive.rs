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

impl From<rusqlite::Error> for SaveMappingError {
    fn from(e: rusqlite::Error) -> Self {
        SaveMappingError::Directory(e.into())
    }
}

/// A re-derive's record: after which employee (`seq`) it goes on, how far it is, and the
/// activity line of its mapping change.
type RederiveState = (i64, u64, u64, Option<i64>);

fn rederive_state(
    c: &rusqlite::Connection,
    provider: Provider,
) -> rusqlite::Result<Option<RederiveState>> {
    use rusqlite::OptionalExtension;
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

    /// The custom fields, in the order the admin defined them.
    pub fn custom_fields(&self) -> Result<Vec<attribute_map::CustomFieldColumn>, DirectoryError> {
        Ok(self.db.read(load_columns)?)
    }

    /// Every provider's stored mapping, with the custom fields: what `/Schemas` advertises.
    pub fn custom_extensions(
        &self,
    ) -> Result<
        std::collections::BTreeMap<String, Vec<(String, attribute_map::FieldKind)>>,
        DirectoryError,
    > {
        Ok(self.db.read(|c| {
            let columns = load_columns(c)?;
            let mut stored = Vec::new();
            for p in Provider::ALL {
                stored.push(load_stored(c, p)?);
            }
            Ok(attribute_map::custom_extensions(&stored, &columns))
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
                .execute(rusqlite::params![
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
                let activity_seq = c.last_insert_rowid();
                if total == 0 {
                    c.prepare_cached("DELETE FROM mapping_rederive WHERE provider = ?")?
                        .execute([provider.as_str()])?;
                } else {
                    c.prepare_cached(
                        "INSERT INTO mapping_rederive (provider, after_seq, done, total, activity_seq) \
                         VALUES (?1, 0, 0, ?2, ?3) ON CONFLICT (provider) DO UPDATE SET \
                         after_seq = 0, done = 0, total = ?2, activity_seq = ?3",
                    )?
                    .execute(rusqlite::params![provider.as_str(), total as i64, activity_seq])?;
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
                self.notify(ChangeEvent::Reload);
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
            c.prepare_cached(&format!(
                "SELECT e.doc FROM employees e WHERE {EMPLOYEE_PROVIDER_SQL} = ? \
                 AND e.status <> 'removed' ORDER BY e.seq DESC LIMIT {SOURCES_SAMPLE}"
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
    c: &rusqlite::Connection,
    mappings: &std::sync::Mutex<attribute_map::MappingCache>,
    provider: Provider,
) -> Result<Option<(u64, u64, bool)>, DirectoryError> {
    let Some((after, done, total, activity_seq)) = rederive_state(c, provider)? else {
        return Ok(None);
    };
    let mapping = mapping_for(mappings, c, provider)?;
    let rows = c
        .prepare_cached(&format!(
            "SELECT e.seq, e.id, e.doc, e.user_name, e.external_id, e.email, e.display_name, \
             e.first_name, e.last_name, e.job_title, e.department, e.business_unit, \
             e.manager_email, e.location, e.employee_id, e.custom FROM employees e \
             WHERE e.seq > ? AND {EMPLOYEE_PROVIDER_SQL} = ? ORDER BY e.seq LIMIT {BATCH}"
        ))?
        .query_map(rusqlite::params![after, provider.as_str()], |r| {
            let custom: String = r.get(15)?;
            Ok((
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
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut last_seq = after;
    for (seq, id, doc, before) in &rows {
        last_seq = *seq;
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
        c.prepare_cached(
            "UPDATE employees SET email = ?, display_name = ?, first_name = ?, last_name = ?, \
             job_title = ?, department = ?, business_unit = ?, manager_email = ?, location = ?, \
             employee_id = ?, custom = ? WHERE seq = ?",
        )?
        .execute(rusqlite::params![
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
        if after.email != before.email || after.manager_email != before.manager_email {
            super::users::resolve_managers(c, id, after.email.as_deref(), false)?;
        }
        if let Some(activity_seq) = activity_seq {
            history::record(c, id, activity_seq, &history::diff(before, &after))?;
        }
    }
    let done = (done + rows.len() as u64).min(total.max(done + rows.len() as u64));
    let finished = (rows.len() as i64) < BATCH;
    if finished {
        c.prepare_cached("DELETE FROM mapping_rederive WHERE provider = ?")?
            .execute([provider.as_str()])?;
    } else {
        c.prepare_cached("UPDATE mapping_rederive SET after_seq = ?, done = ? WHERE provider = ?")?
            .execute(rusqlite::params![last_seq, done as i64, provider.as_str()])?;
    }
    // Employees who arrived meanwhile count too.
    let total = total.max(done);
    Ok(Some((if finished { total } else { done }, total, finished)))
}
