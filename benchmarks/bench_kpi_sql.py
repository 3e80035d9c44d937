"""Each KPI stage of the package against hand-written DuckDB SQL over the same Parquet files, in the same
process, the same numbers asserted equal; median of ``--repeats`` runs each, printed as ratios
(package seconds / SQL seconds; target <= 1.2).

Stages: validation (the package's ``validate`` against one SQL pass over each table checking the same
rules), the member-day table, the daily KPIs (DAU, UV, contributions, contributors, WAU, MAU), new-member
retention (D1/D7/D14/D30 by join day), two-week retention and monthly retention. The SQL side keeps its
own member-day temporary table as a hand-written pipeline would; both sides compute the later stages
from their member-day table. Local days are UTC + 8 h (Asia/Shanghai has no daylight saving time)."""

from __future__ import annotations

import operator
import statistics
import time

from common import ensure_synth

TZ_HOURS = 8  # the simulated community's zone, Asia/Shanghai: UTC+8 all year

SQL_VALIDATE = {
    "members": """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE member_id IS NULL) AS null_id,
               count(*) FILTER (WHERE joined_at IS NULL) AS null_joined,
               count(*) - count(DISTINCT member_id) AS duplicate_ids,
               count(*) FILTER (WHERE joined_at > now() OR joined_at < TIMESTAMPTZ '1990-01-01') AS bad_join,
               count(*) FILTER (WHERE invited_by IS NOT NULL
                                AND invited_by NOT IN (SELECT member_id FROM members)) AS orphan_inviter
        FROM members""",
    "events": """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE e.member_id IS NULL OR e.ts IS NULL OR e.event_type IS NULL) AS nulls,
               count(*) FILTER (WHERE e.event_type NOT IN
                   ('visit', 'post', 'comment', 'share', 'like', 'checkin', 'invite')) AS bad_type,
               count(*) FILTER (WHERE m.member_id IS NULL) AS unknown_member,
               count(*) FILTER (WHERE e.ts < m.joined_at - INTERVAL 1 MINUTE) AS before_join,
               count(*) FILTER (WHERE e.ts > now()) AS future,
               min(e.ts) AS first_ts, max(e.ts) AS last_ts
        FROM events e LEFT JOIN members m ON e.member_id = m.member_id""",
    "assignments": """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE a.member_id IS NULL OR a.experiment IS NULL OR a.arm IS NULL
                                OR a.assigned_at IS NULL) AS nulls,
               count(*) FILTER (WHERE m.member_id IS NULL) AS unknown_member,
               count(*) FILTER (WHERE a.assigned_at > now()) AS future
        FROM assignments a LEFT JOIN members m ON a.member_id = m.member_id""",
}

SQL_MEMBER_DAYS = f"""
    CREATE OR REPLACE TEMP TABLE md AS
    SELECT member_id, CAST(make_timestamp(epoch_us(ts)) + INTERVAL {TZ_HOURS} HOUR AS DATE) AS day,
           count(*) FILTER (WHERE event_type = 'visit') AS visits,
           count(*) FILTER (WHERE event_type IN ('post', 'comment', 'share', 'like')) AS contributions
    FROM events
    WHERE make_timestamp(epoch_us(ts)) < TIMESTAMP '{{as_of}}' + INTERVAL {24 - TZ_HOURS} HOUR
    GROUP BY ALL"""

# WAU/MAU: each member-day opens the trailing windows it starts (those its previous active day does not
# already cover) and closes them n days later; the running sum of opens minus closes is the distinct count
SQL_DAILY = """
    WITH lagged AS (
        SELECT member_id, day, lag(day) OVER (PARTITION BY member_id ORDER BY day) AS prev FROM md
    ), edges AS (
        SELECT n, CASE WHEN prev IS NULL THEN day ELSE greatest(day, prev + n) END AS edge, 1 AS k
        FROM lagged, (VALUES (7), (30)) w(n)
        UNION ALL
        SELECT n, day + n AS edge, -1 AS k FROM lagged, (VALUES (7), (30)) w(n)
    ), windows AS (
        SELECT edge AS day, sum(k) FILTER (WHERE n = 7) AS d7, sum(k) FILTER (WHERE n = 30) AS d30
        FROM edges GROUP BY edge
    ), days AS (
        SELECT day, count(*) AS dau, count(*) FILTER (WHERE visits > 0) AS uv,
               sum(contributions) AS contributions, count(*) FILTER (WHERE contributions > 0) AS contributors
        FROM md GROUP BY day
    )
    SELECT d.day, d.dau, d.uv, d.contributions, d.contributors,
           sum(coalesce(w.d7, 0)) OVER (ORDER BY d.day) AS wau,
           sum(coalesce(w.d30, 0)) OVER (ORDER BY d.day) AS mau
    FROM (SELECT day FROM days UNION SELECT day FROM windows WHERE day <= DATE '{as_of}') cal
    LEFT JOIN days d USING (day) LEFT JOIN windows w USING (day)
    WHERE d.day IS NOT NULL
    ORDER BY d.day"""

SQL_NEW_MEMBERS = f"""
    WITH cohort AS (
        SELECT member_id,
               CAST(make_timestamp(epoch_us(joined_at)) + INTERVAL {TZ_HOURS} HOUR AS DATE) AS join_day
        FROM members
    ), cells AS (
        SELECT c.join_day, k.k, count(*) AS cohort_size, count(md.member_id) AS retained
        FROM cohort c CROSS JOIN (VALUES (1), (7), (14), (30)) k(k)
        LEFT JOIN md ON md.member_id = c.member_id AND md.day = c.join_day + k.k
        WHERE c.join_day BETWEEN DATE '{{first}}' AND DATE '{{as_of}}'
        GROUP BY ALL
    )
    SELECT join_day, k, cohort_size, retained FROM cells
    WHERE join_day + k <= DATE '{{as_of}}' ORDER BY join_day, k"""

SQL_TWO_WEEK = """
    WITH blocks AS (
        SELECT DISTINCT member_id, (DATE '{as_of}' - day) // 14 AS block FROM md
    )
    SELECT b.block, count(*) AS active, count(n.member_id) AS retained
    FROM blocks b LEFT JOIN blocks n ON n.member_id = b.member_id AND n.block = b.block - 1
    WHERE b.block >= 1 AND DATE '{as_of}' - CAST(14 * b.block + 13 AS INTEGER) >= DATE '{first}'
    GROUP BY b.block ORDER BY b.block DESC"""

SQL_MONTHLY = """
    WITH months AS (SELECT DISTINCT member_id, date_trunc('month', day) AS month FROM md)
    SELECT m.month, count(*) AS active, count(n.member_id) AS retained
    FROM months m LEFT JOIN months n ON n.member_id = m.member_id AND n.month = m.month + INTERVAL 1 MONTH
    GROUP BY m.month ORDER BY m.month"""


def _sql_connection(path: str):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in ("members", "events", "assignments"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}/{name}.parquet')")
    return con


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def stages(path: str, repeats: int = 3) -> list[tuple[str, float, float]]:
    """(stage, package median seconds, SQL median seconds) for every stage, results asserted equal."""
    from analysis import kpi
    from analysis.activity import member_days
    from analysis.data import open_source, validate

    con = _sql_connection(path)
    src = open_source(path)
    as_of = src.default_as_of()
    first, _ = src.day_range()
    fmt = {"as_of": as_of.isoformat(), "first": first.isoformat()}

    def package_validation():
        return validate(open_source(path))

    def sql_validation():
        return {name: con.execute(q).df() for name, q in SQL_VALIDATE.items()}

    def package_member_days():
        src.cache.clear()  # build it again, as a report does once
        return member_days(src, as_of).count().execute()

    def sql_member_days():
        con.execute(SQL_MEMBER_DAYS.format(**fmt))
        return con.execute("SELECT count(*) FROM md").fetchone()[0]

    def sql(query: str):
        return lambda: con.execute(query.format(**fmt)).df()

    def cold(fn):
        """The package stage without what an earlier repeat left in the session's cache (the ordered
        active days, the day cohorts), keeping the member-day table as the SQL side keeps ``md``."""

        def run():
            for key in [k for k in src.cache if not (isinstance(k, tuple) and k[0] == "member_days")]:
                del src.cache[key]
            return fn()

        return run

    plan = [
        ("validation", package_validation, sql_validation, _same_validation),
        ("member-days", package_member_days, sql_member_days, operator.eq),
        ("daily KPIs", cold(lambda: kpi.daily_kpis(src, as_of)), sql(SQL_DAILY), _same_daily),
        (
            "new-member retention",
            cold(lambda: kpi.new_member_retention(src, as_of)),
            sql(SQL_NEW_MEMBERS),
            _same_cells,
        ),
        (
            "two-week retention",
            cold(lambda: kpi.two_week_retention(src, as_of)),
            sql(SQL_TWO_WEEK),
            _same_blocks,
        ),
        (
            "monthly retention",
            cold(lambda: kpi.monthly_retention(src, as_of)),
            sql(SQL_MONTHLY),
            _same_months,
        ),
    ]
    rows = []
    for name, ours, theirs, same in plan:
        p_times, s_times = [], []
        for _ in range(repeats):  # alternate, so that a drift in the machine's speed hits both sides
            tp, p = _timed(ours)
            ts, s = _timed(theirs)
            p_times.append(tp)
            s_times.append(ts)
        assert same(p, s), f"{name}: the package and the SQL baseline disagree"
        rows.append((name, statistics.median(p_times), statistics.median(s_times)))
    return rows


def _same_validation(report, sql) -> bool:
    events = sql["events"].iloc[0]
    return (
        report.ok
        and report.rows["events"] == events["n"]
        and report.rows["members"] == sql["members"].iloc[0]["n"]
        and events[["nulls", "bad_type", "unknown_member", "future"]].sum() == 0
        and sql["members"].iloc[0][["null_id", "null_joined", "duplicate_ids", "orphan_inviter"]].sum() == 0
    )


def _same_daily(p, s) -> bool:
    p = p.set_index("date").loc[s["day"].dt.date]
    cols = ["dau", "uv", "contributions", "contributors", "wau", "mau"]
    return (p[cols].to_numpy() == s[cols].to_numpy()).all()


def _same_cells(p, s) -> bool:
    p = p[p["is_complete"]].sort_values(["cohort_date", "day"])
    return (
        p["cohort_size"].tolist() == s["cohort_size"].tolist()
        and p["retained"].astype(int).tolist() == s["retained"].tolist()
    )


def _same_blocks(p, s) -> bool:
    cols = ["active", "retained"]
    return p[cols].to_numpy().tolist() == s[cols].to_numpy().tolist()


def _same_months(p, s) -> bool:
    done = p["is_complete"].to_numpy()
    return (
        p["active"].tolist() == s["active"].tolist()
        and (p["retained"].to_numpy()[done] == s["retained"].to_numpy()[done]).all()
    )


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    path = ensure_synth(args.members)
    print(f"KPI stages at {args.members:,} members, median of {args.repeats} (same numbers asserted equal)")
    print(f"{'stage':<22} {'package s':>10} {'SQL s':>8} {'ratio':>7}   target <= 1.2")
    for name, ours, theirs in stages(str(path), args.repeats):
        print(f"{name:<22} {ours:>10.2f} {theirs:>8.2f} {ours / theirs:>7.2f}")


if __name__ == "__main__":
    main()
