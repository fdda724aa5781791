//! The org chart: one employee's neighbourhood in the reporting lines — the manager chain above
//! them, and their direct reports below with the headcount under each.
//!
//! It reads a neighbourhood, never the tree: the chain is at most [`CHAIN_CAP`] single-row
//! lookups by id, the reports one lookup by the `manager_id` index, and the headcounts one
//! recursive query bounded to the chosen employee's own subtree. Reporting lines come from
//! identity providers and may loop (A reports to B, B to A): every walk stops where it has
//! been before. Not for: resolving managers, which the writes do (`users`, `bulk`).

use std::collections::{HashMap, HashSet};

use crate::db::sql::{Connection, OptionalExtension};
use serde::Serialize;

use super::error::DirectoryError;
use super::Directory;

/// How many managers above an employee the chart shows before it says it stopped.
pub const CHAIN_CAP: usize = 50;
/// How many direct reports (or top-level employees) one chart lists.
pub const LIST_CAP: usize = 500;
/// How many unresolved managers are listed, and how many of those waiting for each.
pub const UNRESOLVED_CAP: usize = 200;
pub const WAITING_SHOWN: usize = 5;

/// One person on the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OrgPerson {
    pub id: String,
    /// The display name, else first and last name, else the email.
    pub name: String,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    /// `active` or `deactivated`.
    #[ts(type = "\"active\" | \"deactivated\" | \"removed\"")]
    pub status: String,
    /// Direct reports (deactivated ones only when the chart includes them).
    pub direct_reports: u64,
    /// Everyone under them, at any depth; known for the chosen employee and their reports.
    pub headcount: Option<u64>,
}

/// One employee's neighbourhood, or the top of the organisation when no one is chosen.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OrgChartView {
    /// The chosen employee; none shows the top-level employees (`roots`).
    pub person: Option<OrgPerson>,
    /// Their managers, the top first, the direct manager last.
    pub chain: Vec<OrgPerson>,
    /// The chain was cut at [`CHAIN_CAP`] managers: there are more above.
    pub chain_capped: bool,
    /// The chain came back to someone already on it: the reporting lines loop.
    pub chain_loops: bool,
    /// The chosen employee's manager as the identity provider named it, when no employee in the
    /// directory has that email (yet).
    pub manager_pending: Option<String>,
    /// Their direct reports, by name (at most [`LIST_CAP`]).
    pub reports: Vec<OrgPerson>,
    /// All their direct reports, also those past the cap.
    pub reports_total: u64,
    /// Employees with no manager (at most [`LIST_CAP`]), by name; only when no one is chosen.
    pub roots: Vec<OrgPerson>,
    pub roots_total: u64,
    /// How many managers named by the identity provider are not in the directory.
    pub unresolved_managers: u64,
}

/// A manager the identity provider named that no employee in the directory is (yet).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct UnresolvedManager {
    /// As sent: an email from Okta, an id from Entra.
    pub manager: String,
    /// How many employees wait for them.
    pub waiting: u64,
    /// The first few of those (by name).
    pub employees: Vec<OrgPerson>,
}

/// The person's columns, as `OrgPerson` reads them (`direct_reports` and `headcount` apart).
const PERSON: &str = "e.id, COALESCE(NULLIF(e.display_name, ''), \
    NULLIF(TRIM(COALESCE(e.first_name, '') || ' ' || COALESCE(e.last_name, '')), ''), \
    e.email, e.user_name) AS name, e.email, e.job_title, e.department, e.status, \
    e.manager_id, e.manager_email";

/// Which statuses a chart counts and lists, for a table alias. The unary `+` keeps SQLite from
/// reading the status index (which holds most of the directory) instead of the manager index.
fn shown(alias: &str, include_deactivated: bool) -> String {
    if include_deactivated {
        format!("+{alias}.status <> 'removed'")
    } else {
        format!("+{alias}.status = 'active'")
    }
}

struct Row {
    person: OrgPerson,
    manager_id: Option<String>,
    manager_email: Option<String>,
}

fn read_row(r: &crate::db::sql::Row<'_>) -> crate::db::sql::Result<Row> {
    Ok(Row {
        person: OrgPerson {
            id: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            job_title: r.get(3)?,
            department: r.get(4)?,
            status: r.get(5)?,
            direct_reports: 0,
            headcount: None,
        },
        manager_id: r.get(6)?,
        manager_email: r.get(7)?,
    })
}

fn person(c: &Connection, id: &str) -> crate::db::sql::Result<Option<Row>> {
    c.prepare_cached(&format!(
        "SELECT {PERSON} FROM employees e WHERE e.id = ? AND +e.status <> 'removed'"
    ))?
    .query_row([id], read_row)
    .optional()
}

fn direct_reports(c: &Connection, id: &str, include: bool) -> crate::db::sql::Result<u64> {
    let n: i64 = c
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM employees e WHERE e.manager_id = ?1 AND e.id <> ?1 AND {}",
            shown("e", include)
        ))?
        .query_row([id], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Everyone under each of `manager`'s direct reports, at any depth: one recursive query that
/// walks only `manager`'s subtree, through every current employee (a deactivated manager's
/// team is still theirs) and counting those shown. Each employee has one manager, so walking
/// down from `manager` reaches everyone once — except `manager` again when the lines loop back
/// through them, which the walk refuses: it needs no memory of where it has been (`UNION
/// ALL`, no temporary b-tree), and ends on any loop.
fn headcounts_under(
    c: &Connection,
    manager: &str,
    include: bool,
) -> crate::db::sql::Result<HashMap<String, u64>> {
    let mut stmt = c.prepare_cached(&headcount_sql(include))?;
    let rows = stmt.query_map([manager], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
    })?;
    rows.collect()
}

fn headcount_sql(include: bool) -> String {
    format!(
        "WITH RECURSIVE under(id, top, counted) AS ( \
           SELECT e.id, e.id, 0 FROM employees e \
             WHERE e.manager_id = ?1 AND e.id <> ?1 AND +e.status <> 'removed' \
           UNION ALL \
           SELECT e.id, under.top, {shown} FROM employees e JOIN under ON e.manager_id = under.id \
             WHERE +e.status <> 'removed' AND e.id <> ?1) \
         SELECT top, SUM(counted) FROM under GROUP BY top",
        shown = shown("e", include)
    )
}

impl Directory {
    /// `employee_id`'s neighbourhood, or the top-level employees when none is given.
    /// `include_deactivated`: deactivated employees are listed and counted (marked as such);
    /// otherwise only active ones are (the chain always shows who is above, whatever their
    /// status). `Ok(None)` when no current employee has that id.
    pub async fn org_chart(
        &self,
        employee_id: Option<&str>,
        include_deactivated: bool,
    ) -> Result<Option<OrgChartView>, DirectoryError> {
        let include = include_deactivated;
        let id = employee_id.map(str::to_owned);
        let view = self
            .db
            .read(move |c| -> crate::db::sql::Result<Option<OrgChartView>> {
                let unresolved_managers = unresolved_count(c)?;
                let Some(id) = id else {
                    let (roots, roots_total) = roots(c, include)?;
                    return Ok(Some(OrgChartView {
                        person: None,
                        chain: Vec::new(),
                        chain_capped: false,
                        chain_loops: false,
                        manager_pending: None,
                        reports: Vec::new(),
                        reports_total: 0,
                        roots,
                        roots_total,
                        unresolved_managers,
                    }));
                };
                let Some(chosen) = person(c, &id)? else {
                    return Ok(None);
                };
                // The chain, walked up one indexed lookup at a time.
                let mut chain = Vec::new();
                let mut seen = HashSet::from([id.clone()]);
                let (mut chain_capped, mut chain_loops) = (false, false);
                // Someone named as their own manager is at the top, not in a loop.
                let mut next = chosen.manager_id.clone().filter(|m| *m != id);
                while let Some(m) = next.take() {
                    if !seen.insert(m.clone()) {
                        chain_loops = true;
                        break;
                    }
                    if chain.len() == CHAIN_CAP {
                        chain_capped = true;
                        break;
                    }
                    let Some(mut row) = person(c, &m)? else {
                        break;
                    };
                    row.person.direct_reports = direct_reports(c, &m, include)?;
                    // A manager named as their own manager is the top of the chain too.
                    next = row.manager_id.filter(|above| *above != m);
                    chain.push(row.person);
                }
                chain.reverse();
                let manager_pending = match (&chosen.manager_id, &chosen.manager_email) {
                    (None, Some(email)) if !email.trim().is_empty() => Some(email.clone()),
                    _ => None,
                };
                // The reports, and the headcount under each from one walk of this subtree.
                let under = headcounts_under(c, &id, include)?;
                let mut reports = c
                    .prepare_cached(&format!(
                        "SELECT {PERSON} FROM employees e WHERE e.manager_id = ?1 AND e.id <> ?1 \
                     AND {} ORDER BY name COLLATE NOCASE, e.seq LIMIT {LIST_CAP}",
                        shown("e", include)
                    ))?
                    .query_map([&id], read_row)?
                    .map(|r| r.map(|r| r.person))
                    .collect::<crate::db::sql::Result<Vec<_>>>()?;
                for r in &mut reports {
                    r.direct_reports = direct_reports(c, &r.id, include)?;
                    r.headcount = Some(under.get(&r.id).copied().unwrap_or(0));
                }
                let reports_total = direct_reports(c, &id, include)?;
                let mut person = chosen.person;
                person.direct_reports = reports_total;
                // Everyone under the chosen one: their reports shown, and everyone under any report.
                person.headcount = Some(reports_total + under.values().sum::<u64>());
                Ok(Some(OrgChartView {
                    person: Some(person),
                    chain,
                    chain_capped,
                    chain_loops,
                    manager_pending,
                    reports,
                    reports_total,
                    roots: Vec::new(),
                    roots_total: 0,
                    unresolved_managers,
                }))
            })?;
        Ok(view)
    }

    /// Managers named by the identity provider that no employee in the directory is, each with
    /// how many wait for them and the first few of those; the most awaited first.
    pub async fn org_unresolved(&self) -> Result<Vec<UnresolvedManager>, DirectoryError> {
        let list = self
            .db
            .read(|c| -> crate::db::sql::Result<Vec<UnresolvedManager>> {
                let groups = c
                    .prepare_cached(&format!(
                        "SELECT e.manager_email, COUNT(*) AS n FROM employees e {UNRESOLVED} \
                     GROUP BY e.manager_email COLLATE NOCASE \
                     ORDER BY n DESC, e.manager_email COLLATE NOCASE LIMIT {UNRESOLVED_CAP}"
                    ))?
                    .query_map((), |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                    .collect::<crate::db::sql::Result<Vec<_>>>()?;
                let mut waiting = c.prepare_cached(&format!(
                    "SELECT {PERSON} FROM employees e {UNRESOLVED} \
                 AND e.manager_email = ?1 COLLATE NOCASE \
                 ORDER BY name COLLATE NOCASE LIMIT {WAITING_SHOWN}"
                ))?;
                let mut out = Vec::with_capacity(groups.len());
                for (manager, n) in groups {
                    let employees = waiting
                        .query_map([&manager], read_row)?
                        .map(|r| r.map(|r| r.person))
                        .collect::<crate::db::sql::Result<Vec<_>>>()?;
                    out.push(UnresolvedManager {
                        manager,
                        waiting: n.max(0) as u64,
                        employees,
                    });
                }
                Ok(out)
            })?;
        Ok(list)
    }
}

/// Current employees whose manager was named but is not in the directory.
const UNRESOLVED: &str = "WHERE e.manager_id IS NULL AND e.manager_email IS NOT NULL \
    AND TRIM(e.manager_email) <> '' AND +e.status <> 'removed'";

fn unresolved_count(c: &Connection) -> crate::db::sql::Result<u64> {
    let n: i64 = c
        .prepare_cached(&format!(
            "SELECT COUNT(DISTINCT e.manager_email COLLATE NOCASE) FROM employees e {UNRESOLVED}"
        ))?
        .query_row((), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

fn roots_condition(include: bool) -> String {
    format!(
        "e.seq IN (SELECT seq FROM employees WHERE manager_id IS NULL \
           AND (manager_email IS NULL OR TRIM(manager_email) = '') \
           UNION SELECT seq FROM employees INDEXED BY employees_self_managed \
           WHERE manager_id = id) AND {}",
        shown("e", include)
    )
}

/// The top of the organisation: employees with no manager named, and those named their own
/// manager.
fn roots(c: &Connection, include: bool) -> crate::db::sql::Result<(Vec<OrgPerson>, u64)> {
    let cond = roots_condition(include);
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM employees e WHERE {cond}"))?
        .query_row((), |r| r.get(0))?;
    let mut roots = c
        .prepare_cached(&format!(
            "SELECT {PERSON} FROM employees e WHERE {cond} \
             ORDER BY name COLLATE NOCASE, e.seq LIMIT {LIST_CAP}"
        ))?
        .query_map((), read_row)?
        .map(|r| r.map(|r| r.person))
        .collect::<crate::db::sql::Result<Vec<_>>>()?;
    for r in &mut roots {
        r.direct_reports = direct_reports(c, &r.id, include)?;
    }
    Ok((roots, total.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::directory::WriteContext;
    use serde_json::{json, Value};
    use tokio::sync::broadcast;

    fn ctx() -> WriteContext {
        WriteContext {
            connection_id: "c1".into(),
            connection_name: "Okta".into(),
            provider: crate::connections::Provider::Okta,
            base_url: "http://127.0.0.1:1/scim/v2/c1".into(),
        }
    }

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn user(email: &str, name: &str, manager: Option<&str>) -> Value {
        let mut u = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": email,
            "displayName": name,
            "emails": [{"value": email, "primary": true}],
            "title": "Engineer",
            "active": true,
        });
        if let Some(m) = manager {
            u[ENTERPRISE] = json!({"department": "R&D", "manager": {"value": m}});
        }
        u
    }

    struct Org {
        d: Directory,
        ids: HashMap<String, String>,
        _dir: tempfile::TempDir,
    }

    impl Org {
        fn id(&self, email_local: &str) -> String {
            self.ids[email_local].clone()
        }
        async fn chart(&self, who: &str, include: bool) -> OrgChartView {
            self.d
                .org_chart(Some(&self.id(who)), include)
                .await
                .unwrap()
                .unwrap()
        }
        async fn add(&mut self, local: &str, manager: Option<&str>) {
            let email = format!("{local}@corp.example");
            let manager = manager.map(|m| format!("{m}@corp.example"));
            let created = self
                .d
                .create_user(&ctx(), user(&email, &cap(local), manager.as_deref()))
                .await
                .unwrap();
            self.ids.insert(local.to_owned(), created.id().to_owned());
        }
        async fn deactivate(&self, local: &str) {
            let patch = json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": false}}]
            });
            self.d
                .patch_user(&ctx(), &self.id(local), &patch, None)
                .await
                .unwrap();
        }
    }

    fn cap(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }

    /// ceo ← vp ← (lead ← (ana, bob, cat), dan) ; eve waits for boss@ (not in the directory).
    async fn org() -> Org {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db, broadcast::channel(64).0);
        let mut o = Org {
            d,
            ids: HashMap::new(),
            _dir: dir,
        };
        o.add("ceo", None).await;
        o.add("vp", Some("ceo")).await;
        // A report created before their manager is linked when the manager arrives.
        o.add("ana", Some("lead")).await;
        o.add("lead", Some("vp")).await;
        o.add("bob", Some("lead")).await;
        o.add("cat", Some("lead")).await;
        o.add("dan", Some("vp")).await;
        o.add("eve", Some("boss")).await;
        o.add("fay", Some("boss")).await;
        o.add("gus", Some("ghost")).await;
        o
    }

    fn names(people: &[OrgPerson]) -> Vec<&str> {
        people.iter().map(|p| p.name.as_str()).collect()
    }

    #[tokio::test]
    async fn a_chart_shows_the_chain_above_and_the_reports_below_with_headcounts() {
        let o = org().await;
        let c = o.chart("lead", false).await;
        assert_eq!(names(&c.chain), ["Ceo", "Vp"]);
        assert_eq!(c.person.as_ref().unwrap().name, "Lead");
        assert_eq!(names(&c.reports), ["Ana", "Bob", "Cat"]);
        assert!(!c.chain_capped && !c.chain_loops && c.manager_pending.is_none());
        assert_eq!(c.reports_total, 3);
        assert_eq!(c.chain[1].direct_reports, 2, "vp: lead and dan");

        let c = o.chart("vp", false).await;
        assert_eq!(names(&c.reports), ["Dan", "Lead"]);
        let lead = &c.reports[1];
        assert_eq!((lead.direct_reports, lead.headcount), (3, Some(3)));
        assert_eq!(c.reports[0].headcount, Some(0));
        let vp = c.person.unwrap();
        assert_eq!((vp.direct_reports, vp.headcount), (2, Some(5)));

        let c = o.chart("ceo", false).await;
        assert!(c.chain.is_empty());
        assert_eq!(c.person.unwrap().headcount, Some(6));
        assert_eq!(c.reports[0].headcount, Some(5));
    }

    #[tokio::test]
    async fn deactivated_employees_are_counted_and_listed_only_when_asked() {
        let o = org().await;
        o.deactivate("bob").await;
        o.deactivate("lead").await;
        let c = o.chart("vp", false).await;
        assert_eq!(names(&c.reports), ["Dan"], "lead is deactivated");
        // Lead's active team is still under vp.
        assert_eq!(
            c.person.as_ref().unwrap().headcount,
            Some(3),
            "dan, ana, cat"
        );
        let c = o.chart("vp", true).await;
        assert_eq!(names(&c.reports), ["Dan", "Lead"]);
        assert_eq!(c.reports[1].status, "deactivated");
        assert_eq!(c.reports[1].headcount, Some(3));
        assert_eq!(c.person.as_ref().unwrap().headcount, Some(5));
        // A deactivated employee's own chart still opens, marked.
        let c = o.chart("lead", false).await;
        assert_eq!(c.person.unwrap().status, "deactivated");
        assert_eq!(names(&c.reports), ["Ana", "Cat"]);
    }

    #[tokio::test]
    async fn managers_not_in_the_directory_are_listed_with_who_waits_for_them() {
        let mut o = org().await;
        let list = o.d.org_unresolved().await.unwrap();
        let summary: Vec<(&str, u64, Vec<&str>)> = list
            .iter()
            .map(|u| (u.manager.as_str(), u.waiting, names(&u.employees)))
            .collect();
        assert_eq!(
            summary,
            [
                ("boss@corp.example", 2, vec!["Eve", "Fay"]),
                ("ghost@corp.example", 1, vec!["Gus"]),
            ]
        );
        let eve = o.chart("eve", false).await;
        assert_eq!(eve.manager_pending.as_deref(), Some("boss@corp.example"));
        assert!(eve.chain.is_empty());
        assert_eq!(eve.unresolved_managers, 2);
        // The manager arrives: the list shrinks, and eve's chain has them.
        o.add("boss", None).await;
        let list = o.d.org_unresolved().await.unwrap();
        assert_eq!(list.len(), 1);
        let eve = o.chart("eve", false).await;
        assert_eq!(names(&eve.chain), ["Boss"]);
        assert_eq!(eve.manager_pending, None);
    }

    #[tokio::test]
    async fn without_a_choice_the_chart_offers_the_top_level_employees() {
        let o = org().await;
        let top = o.d.org_chart(None, false).await.unwrap().unwrap();
        assert!(top.person.is_none());
        // Waiting for a manager is not being at the top.
        assert_eq!(names(&top.roots), ["Ceo"]);
        assert_eq!(top.roots_total, 1);
        assert_eq!(top.roots[0].direct_reports, 1);
        assert!(o
            .d
            .org_chart(Some("nobody"), false)
            .await
            .unwrap()
            .is_none());
    }

    /// Identity providers can send reporting lines that loop; the chart still answers, says so,
    /// and counts nobody twice.
    #[tokio::test]
    async fn loops_in_the_reporting_lines_end_the_walks() {
        let mut o = org().await;
        // x ← y ← z ← x (z reports to x, created last, closing the loop).
        o.add("y", Some("x")).await;
        o.add("z", Some("y")).await;
        o.add("x", Some("z")).await;
        let c = o.chart("x", false).await;
        assert!(c.chain_loops);
        assert_eq!(names(&c.chain), ["Y", "Z"]);
        assert_eq!(names(&c.reports), ["Y"]);
        assert_eq!(c.reports[0].headcount, Some(1), "z, not x again");
        assert_eq!(c.person.unwrap().headcount, Some(2));
        // Someone who is their own manager.
        o.add("self", Some("self")).await;
        let c = o.chart("self", false).await;
        assert!(c.chain.is_empty() && c.reports.is_empty() && !c.chain_loops);
        assert_eq!(c.person.unwrap().headcount, Some(0));
        // Someone reporting to them: the chain ends at them, with no loop.
        o.add("under-self", Some("self")).await;
        let c = o.chart("under-self", false).await;
        assert_eq!(names(&c.chain), ["Self"]);
        assert!(!c.chain_loops);
    }

    #[tokio::test]
    async fn a_chain_longer_than_the_cap_is_cut_and_says_so() {
        let mut o = org().await;
        o.add("m0", None).await;
        for n in 1..=(CHAIN_CAP + 3) {
            o.add(&format!("m{n}"), Some(&format!("m{}", n - 1))).await;
        }
        let c = o.chart(&format!("m{}", CHAIN_CAP + 3), false).await;
        assert_eq!(c.chain.len(), CHAIN_CAP);
        assert!(c.chain_capped && !c.chain_loops);
        assert_eq!(c.chain.last().unwrap().name, format!("M{}", CHAIN_CAP + 2));
        let c = o.chart(&format!("m{CHAIN_CAP}"), false).await;
        assert_eq!(c.chain.len(), CHAIN_CAP);
        assert!(!c.chain_capped, "exactly the cap: the top is shown");
        let c = o.chart("m0", false).await;
        assert_eq!(c.person.unwrap().headcount, Some(CHAIN_CAP as u64 + 3));
    }

    /// Every query of a chart seeks by id or by the manager index: none scans the employees.
    #[tokio::test]
    async fn a_chart_reads_through_indexes_only() {
        let o = org().await;
        let db = &o.d.db;
        let plans = [
            crate::db::query_plan(
                db,
                &format!("SELECT {PERSON} FROM employees e WHERE e.id = ? AND +e.status <> 'removed'"),
                &[&"x"],
            ),
            crate::db::query_plan(
                db,
                &format!(
                    "SELECT COUNT(*) FROM employees e WHERE e.manager_id = ?1 AND e.id <> ?1 AND {}",
                    shown("e", false)
                ),
                &[&"x"],
            ),
        ];
        for p in plans {
            assert!(
                !p.contains("SCAN") && !p.contains("employees_status"),
                "{p}"
            );
        }
        let top = crate::db::query_plan(
            db,
            &format!(
                "SELECT COUNT(*) FROM employees e WHERE {}",
                roots_condition(false)
            ),
            &[],
        );
        // The only scan is of the partial index, which holds just the self-managed.
        assert!(
            top.split("; ")
                .filter(|step| step.contains("SCAN"))
                .all(|step| step.ends_with("USING INDEX employees_self_managed")),
            "{top}"
        );
        let walk = db
            .read(|c| {
                c.prepare(&format!("EXPLAIN QUERY PLAN {}", headcount_sql(false)))?
                    .query_map(["x"], |r| r.get::<_, String>(3))?
                    .collect::<crate::db::sql::Result<Vec<_>>>()
            })
            .unwrap()
            .join("; ");
        assert!(walk.contains("COVERING INDEX employees_reports"), "{walk}");
        assert!(
            !walk.contains("SCAN e ") && !walk.contains("employees_status"),
            "{walk}"
        );
    }

    /// Not a timed test: `cargo test -p scimdesk --lib orgchart::tests::at_100k -- --ignored
    /// --nocapture` prints how long charts take in a directory of 100,000 employees in ten
    /// levels of ten reports each (seed-0 at the top, reporting to themself).
    #[tokio::test]
    #[ignore]
    async fn at_100k() {
        use crate::directory::bulk::synthetic_user;
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).await.unwrap();
        let d = Directory::new(db, broadcast::channel(64).0);
        d.import_users(&ctx(), (0..100_000).map(synthetic_user))
            .await
            .unwrap();
        let id_of = |n: u64| {
            let d = d.clone();
            async move {
                d.employees(&crate::directory::EmployeeQuery {
                    search: Some(format!("seed-{n}@seed.example")),
                    limit: 1,
                    ..Default::default()
                })
                .await
                .unwrap()
                .items[0]
                    .id
                    .clone()
            }
        };
        for (label, n) in [
            ("a leaf (no reports)", 54_321),
            ("a manager of 10, 10 under", 5_432),
            ("a manager of 10, 1,110 under", 54),
            ("a manager of 10, 11,110 under", 5),
            ("the top, 99,999 under", 0),
        ] {
            let id = id_of(n).await;
            let mut times = Vec::new();
            for _ in 0..5 {
                let t = std::time::Instant::now();
                let c = d.org_chart(Some(&id), false).await.unwrap().unwrap();
                times.push(t.elapsed());
                assert!(c.person.is_some());
            }
            times.sort();
            println!("{label}: median {:?}, max {:?}", times[2], times[4]);
        }
        let t = std::time::Instant::now();
        d.org_chart(None, false).await.unwrap();
        println!("the top-level list: {:?}", t.elapsed());
        let t = std::time::Instant::now();
        d.org_unresolved().await.unwrap();
        println!("unresolved managers: {:?}", t.elapsed());
    }
}
