//! The database: one `sqlx` `AnyPool` over SQLite or PostgreSQL, the embedded migrations of
//! each, the write transactions that serialize an account's money, and shared counters.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::{Any, AnyConnection, AnyPool, Row, Transaction};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A transaction; dropping it without `commit` rolls it back.
pub type Tx = Transaction<'static, Any>;

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
}

impl Db {
    /// Connects (creating the database when it does not exist yet) and runs the migrations.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = dialect(url)?;
        if !Any::database_exists(url).await.context("cannot reach the database")? {
            // Another replica may create it at the same moment: only a database still missing
            // after the attempt is an error.
            if let Err(e) = Any::create_database(url).await
                && !Any::database_exists(url).await.unwrap_or(false)
            {
                return Err(e).context("the database does not exist and cannot be created");
            }
        }
        // Each connection to `sqlite::memory:` is a database of its own: one connection only.
        let connections = match dialect {
            Dialect::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => 1,
            Dialect::Sqlite => 4,
            Dialect::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .context("cannot connect to the database")?;
        if dialect == Dialect::Sqlite {
            // Readers never wait for the writer; the setting stays with the file.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await.context("setting WAL mode")?;
        }
        let migrator = match dialect {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
        };
        migrator.run(&pool).await.context("migrating the database")?;
        Ok(Db { pool, dialect })
    }

    /// A write transaction. SQLite takes its (database-wide) write lock at once, so two
    /// transactions never both read and then fail to upgrade; PostgreSQL relies on row locks and
    /// unique constraints.
    pub async fn write(&self) -> Result<Tx, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.pool.begin().await,
        }
    }

    /// A write transaction that holds `account`'s lock until it ends: every change to what the
    /// account can spend (reservations, charges) goes through one, so two editors starting runs
    /// at once are served one after the other and cannot both spend the same credits.
    /// SQLite: `BEGIN IMMEDIATE` (the database's write lock). PostgreSQL: the account's row,
    /// `SELECT … FOR UPDATE` (other accounts are not held up).
    pub async fn lock_account(&self, account: i64) -> Result<Tx, sqlx::Error> {
        let mut tx = self.write().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                .bind(account)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Answers when the database does (readiness).
    pub async fn ping(&self) -> bool {
        let probe = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok(_)))
    }

    /// Deletes what has expired: sessions, device codes (kept a day after expiry, so a late poll
    /// still hears `expired_token`), rate-limit windows. Safe to run on every replica at once.
    pub async fn sweep(&self, longest_window: Duration) -> Result<(), sqlx::Error> {
        let now = now_ms();
        sqlx::query("DELETE FROM sessions WHERE expires_at IS NOT NULL AND expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
            .bind(now - 86_400_000)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(now - longest_window.as_millis() as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn dialect(url: &str) -> anyhow::Result<Dialect> {
    if url.starts_with("sqlite:") {
        Ok(Dialect::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Dialect::Postgres)
    } else {
        anyhow::bail!("unsupported database URL; use sqlite://PATH or postgres://USER:PASSWORD@HOST/DATABASE")
    }
}

/// Now, in Unix milliseconds (how every time is stored).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Fixed-window counters in the database, shared by every replica.
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    /// Counts one attempt under `key`; `Err(retry_after_secs)` once more than `max` attempts
    /// fell in the current window. One statement, so concurrent attempts are all counted.
    pub async fn hit(&self, conn: &mut AnyConnection, key: &str) -> Result<Result<(), u64>, sqlx::Error> {
        let now = now_ms();
        let window = self.window.as_millis() as i64;
        let row = sqlx::query(
            "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
               count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END,
               window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(now - window)
        .fetch_one(conn)
        .await?;
        let (count, start): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if count > i64::from(self.max) {
            let left_ms = (start + window - now).max(1000);
            Ok(Err(((left_ms + 999) / 1000) as u64))
        } else {
            Ok(Ok(()))
        }
    }

    /// Forgets the attempts under `key` (a log-in that succeeded).
    pub async fn clear(conn: &mut AnyConnection, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM rate_limits WHERE key = $1").bind(key).execute(conn).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_dialect() {
        assert_eq!(dialect("sqlite:///tmp/x.db?mode=rwc").unwrap(), Dialect::Sqlite);
        assert_eq!(dialect("sqlite::memory:").unwrap(), Dialect::Sqlite);
        assert_eq!(dialect("postgres://u:p@h/db").unwrap(), Dialect::Postgres);
        assert_eq!(dialect("postgresql://h/db").unwrap(), Dialect::Postgres);
        assert!(dialect("mysql://h/db").unwrap_err().to_string().contains("sqlite://"));
    }

    #[tokio::test]
    async fn limits_count_every_attempt_and_reset_with_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display())).await.unwrap();
        let limit = Limit { max: 2, window: Duration::from_millis(300) };
        let mut conn = db.pool.acquire().await.unwrap();
        assert_eq!(limit.hit(&mut conn, "k").await.unwrap(), Ok(()));
        assert_eq!(limit.hit(&mut conn, "k").await.unwrap(), Ok(()));
        assert_eq!(limit.hit(&mut conn, "k").await.unwrap(), Err(1));
        assert_eq!(limit.hit(&mut conn, "other").await.unwrap(), Ok(()));
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(limit.hit(&mut conn, "k").await.unwrap(), Ok(()));
        Limit::clear(&mut conn, "k").await.unwrap();
        assert_eq!(limit.hit(&mut conn, "k").await.unwrap(), Ok(()));
    }
}
