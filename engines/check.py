"""`make check-engines`: the same Delta tables read by other engines give the same totals as `adops query`.

Builds a small demo warehouse in a temporary ADOPS_HOME, sums campaign_daily per platform with
`adops query` (DuckDB over the published snapshot), then reads the same table folder with:

- delta-rs (`deltalake.DeltaTable(...).to_pyarrow_table()`, the reference reader behind the
  `deltalake` package and polars), in this venv;
- polars (`pl.scan_delta`), in the separate venv `.venv-engines` (`make check-engines` makes it), so
  the main lock does not pull polars;
- Apache DataFusion (the `datafusion` package) over deltalake's table provider: DataFusion plans and
  runs the SQL, delta-rs hands it the table's files, in `.venv-engines`;
- Daft (`daft.read_deltalake`): reads the Delta log's file list and its own Parquet reader does the
  rest, in `.venv-engines`;
- Spark with delta-spark, when `.venv-engines` has pyspark and delta-spark and Java and the Delta
  jars are there (`ADOPS_DELTA_JARS`, a folder of delta-spark's jars: Spark fetches them from Maven
  otherwise, and nothing here may reach the network). Skipped with the reason when not.

Exit 0 when every engine that ran agrees with `adops query` to the cent and at least two engines
besides DuckDB ran; 1 otherwise. Prints one table per engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES_PY = ROOT / ".venv-engines" / "bin" / "python"
SQL = (
    "select platform, count(*) as rows, sum(clicks) as clicks, round(sum(spend), 2) as spend "
    "from campaign_daily group by platform order by platform"
)
POLARS = """
import json, sys, polars as pl
frame = (pl.scan_delta(sys.argv[1]).group_by("platform")
         .agg(pl.len().alias("rows"), pl.col("clicks").sum(), pl.col("spend").sum().round(2))
         .sort("platform").collect())
print(json.dumps(frame.to_dicts()))
"""
DATAFUSION = """
import json, sys
from datafusion import SessionContext
from deltalake import DeltaTable
ctx = SessionContext()
ctx.register_table("campaign_daily", DeltaTable(sys.argv[1]))
rows = ctx.sql("select platform, count(*) as rows, sum(clicks) as clicks, round(sum(spend), 2) as spend "
               "from campaign_daily group by platform order by platform").to_pylist()
print(json.dumps(rows))
"""
DAFT = """
import json, sys, daft
frame = (daft.read_deltalake(sys.argv[1]).groupby("platform")
         .agg(daft.col("clicks").count().alias("rows"), daft.col("clicks").sum(), daft.col("spend").sum())
         .sort("platform"))
print(json.dumps(frame.to_pylist()))
"""
SPARK = """
import glob, json, os, sys
from pyspark.sql import SparkSession
jars = ",".join(glob.glob(os.path.join(os.environ["ADOPS_DELTA_JARS"], "*.jar")))
spark = (SparkSession.builder.master("local[1]").appName("adops-check-engines")
         .config("spark.jars", jars)
         .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
         .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
         .config("spark.ui.enabled", "false").getOrCreate())
spark.read.format("delta").load(sys.argv[1]).createOrReplaceTempView("campaign_daily")
rows = spark.sql("select platform, count(*) as rows, sum(clicks) as clicks, round(sum(spend), 2) as spend "
                 "from campaign_daily group by platform order by platform").collect()
print(json.dumps([r.asDict() for r in rows]))
spark.stop()
"""


def adops(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from adops.cli import main; main(sys.argv[1:])", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"adops {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def normal(rows: list[dict]) -> list[tuple[str, int, int, float]]:
    return [(r["platform"], int(r["rows"]), int(r["clicks"]), round(float(r["spend"]), 2)) for r in rows]


def delta_rs(table: str) -> list[dict]:
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    data = DeltaTable(table).to_pyarrow_table(columns=["platform", "clicks", "spend"])
    out = []
    for platform in sorted(set(data["platform"].to_pylist())):
        part = data.filter(pc.equal(data["platform"], platform))
        out.append(
            {
                "platform": platform,
                "rows": part.num_rows,
                "clicks": pc.sum(part["clicks"]).as_py(),
                "spend": round(pc.sum(part["spend"]).as_py(), 2),
            }
        )
    return out


def external(script: str, table: str, needs: str) -> list[dict] | str:
    """Rows from `script` run by .venv-engines' python, or why it could not run."""
    if not ENGINES_PY.exists():
        return "no .venv-engines (run `make check-engines`)"
    probe = subprocess.run([str(ENGINES_PY), "-c", f"import {needs}"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{needs} not installed in .venv-engines"
    done = subprocess.run([str(ENGINES_PY), "-c", script, table], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:300]
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def spark_ready() -> str | None:
    """Why Spark cannot run here, or None."""
    jars = os.environ.get("ADOPS_DELTA_JARS", "")
    if not jars or not list(Path(jars).glob("delta-spark*.jar")):
        return (
            "no Delta jars (ADOPS_DELTA_JARS): delta-spark resolves them from Maven, which is not reachable "
            "here, and no PyPI, Debian or npm package ships them"
        )
    java = subprocess.run(["sh", "-c", "command -v java"], capture_output=True)
    return None if java.returncode == 0 else "no Java runtime"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="adops-engines-") as home:
        env = {**os.environ, "ADOPS_HOME": home, "ADOPS_TODAY": "2026-11-24"}
        for var in ("ADOPS_DATABASE_URL", "ADOPS_WAREHOUSE_URI", "ADOPS_JOBS_DATABASE_URL"):
            env.pop(var, None)
        adops("demo", "--days", "60", env=env)
        table = str(Path(home) / "warehouse" / "campaign_daily")
        reference = normal(json.loads(adops("query", SQL, "--format", "json", env=env)))
        results: dict[str, list[dict] | str] = {
            "delta-rs (deltalake)": delta_rs(table),
            "polars": external(POLARS, table, "polars"),
            "datafusion": external(DATAFUSION, table, "datafusion"),
            "daft": external(DAFT, table, "daft"),
        }
        why = spark_ready()
        results["spark (delta-spark)"] = why or external(SPARK, table, "pyspark, delta")
    ok, ran = True, 0
    print(f"{'engine':<22} {'platform':<14} {'rows':>7} {'clicks':>11} {'spend':>14}")
    for platform, rows, clicks, spend in reference:
        print(f"{'adops query (duckdb)':<22} {platform:<14} {rows:>7,} {clicks:>11,} {spend:>14,.2f}")
    for engine, got in results.items():
        if isinstance(got, str):
            print(f"{engine:<22} skipped: {got}")
            continue
        ran += 1
        same = normal(got) == reference
        ok &= same
        for platform, rows, clicks, spend in normal(got):
            print(f"{engine:<22} {platform:<14} {rows:>7,} {clicks:>11,} {spend:>14,.2f}")
        print(f"{engine:<22} {'MATCHES adops query' if same else 'DIFFERS from adops query'}")
    if ran < 2:
        print(f"only {ran} engine(s) besides DuckDB ran; two are needed")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
