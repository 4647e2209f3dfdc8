"""Lint split over forked worker processes: the same findings, in the same order, as one process."""

from __future__ import annotations

import errno
import os
import time
from itertools import pairwise
from pathlib import Path

import pytest

from interlock.errors import SourceError
from interlock.migrations import LintSettings, lint_paths, read_migrations
from interlock.migrations.forked import run_forked
from interlock.migrations.lint import _runs, lint_migrations

# Each later file depends on the schema that the earlier files built: a varchar widened (no
# finding) against one narrowed (a rewrite), SET NOT NULL after a validated CHECK (none) or
# without one, VALIDATE of a constraint added NOT VALID in an earlier file.
TABLES = 20
STEP = """\
alter table t{t} add column c{n} text default gen_random_uuid()::text;
alter table t{t} alter column name type varchar(200);
alter table t{t} alter column code type varchar(4);
alter table t{t} add constraint chk_{n} check (qty is not null) not valid;
create index idx_{n} on t{t} (qty);
set lock_timeout = '2s';
alter table t{t} validate constraint chk_{p};
alter table t{t} alter column qty set not null;
alter table t{t} alter column price set not null;
create table n{n} (id serial primary key, at timestamp);
create index on n{n} (at);
drop index idx_{p};
"""


def _corpus(root: Path, files: int) -> Path:
    root.mkdir()
    tables = "\n".join(
        f"create table t{t} (id bigint primary key, name varchar(100), code varchar(10), "
        "qty integer, price numeric);"
        for t in range(TABLES)
    )
    (root / "000001_tables.up.sql").write_text(tables + "\n")
    for number in range(2, files + 2):
        body = "".join(
            STEP.format(t=n % TABLES, n=n, p=max(n - TABLES, 0))
            for n in range(number * 40, number * 40 + 40)
        )
        (root / f"{number:06d}_step.up.sql").write_text(body)
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _corpus(tmp_path_factory.mktemp("lint-workers") / "migrations", 60)


def test_runs_cover_every_migration_once_and_shrink_as_replay_grows() -> None:
    sizes = [10_000] * 100
    runs = _runs(sizes, 3)
    assert 3 == len(runs)
    assert (0, 100) == (runs[0][0], runs[-1][1])
    assert all(end == start for (_, end), (start, _) in pairwise(runs))
    lengths = [end - start for start, end in runs]
    assert lengths == sorted(lengths, reverse=True) and lengths[0] > lengths[-1]


def test_small_directories_stay_in_one_process() -> None:
    assert [(0, 10)] == _runs([5_000] * 10, 8)  # 50,000 characters: a fork does not pay
    assert [(0, 1)] == _runs([10_000_000], 8)  # one migration cannot be split
    assert 2 == len(_runs([50_000] * 4, 8))  # at most one worker per 100,000 characters


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_find_what_one_process_finds(corpus: Path, workers: int) -> None:
    assert len(_runs([len(m.up.sql) for m in read_migrations(corpus)], workers)) == workers
    alone = lint_paths([corpus], LintSettings())
    split = lint_paths([corpus], LintSettings(), workers=workers)
    assert (alone.files, alone.statements) == (split.files, split.statements) == (61, 28_820)
    assert [f.to_dict() for f in alone.findings] == [f.to_dict() for f in split.findings]
    kept = lint_migrations(read_migrations(corpus), LintSettings())  # no tree released
    assert [f.to_dict() for f in kept.findings] == [f.to_dict() for f in alone.findings]
    # The schema carried across files decides these, so the last run must have replayed it:
    # code was narrowed once, in file 2; price was made NOT NULL in file 2 (a finding there),
    # so the last file's SET NOT NULL on it is none: only the replayed schema knows that.
    narrowed = {f.migration for f in split.findings if f.rule == "changing-column-type"}
    assert {"2"} == narrowed
    set_not_null = {
        f.migration
        for f in split.findings
        if f.rule == "adding-not-nullable-field" and f.statement.endswith("price set not null")
    }
    assert {"2"} == set_not_null


def test_a_worker_reports_sql_that_does_not_parse_with_its_place(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "migrations", 30)
    broken = root / "000030_step.up.sql"
    broken.write_text(broken.read_text() + "\nalter tabel t1 add column x int;\n")
    with pytest.raises(SourceError) as raised:
        lint_paths([root], LintSettings(), workers=2)
    line = broken.read_text().count("\n")  # the last line
    assert (str(broken), line, 7) == (
        raised.value.file,
        raised.value.position.line,
        raised.value.position.column,
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_a_down_migration_that_does_not_parse_fails_lint(tmp_path: Path, workers: int) -> None:
    root = _corpus(tmp_path / "migrations", 30)
    (root / "000003_step.down.sql").write_text("drop colum c1;\n")
    with pytest.raises(SourceError, match=r"000003_step\.down\.sql:1:6: SQL does not parse"):
        lint_paths([root], LintSettings(), workers=workers)


def test_sections_parse_when_read_unless_asked_to_parse_now(tmp_path: Path) -> None:
    root = tmp_path / "migrations"
    root.mkdir()
    (root / "1_ok.up.sql").write_text("create table p (id bigint);\n")
    (root / "2_bad.up.sql").write_text("create table q (id bigint);\nselec 1;\n")
    lazy = read_migrations(root, parse=False)
    assert 1 == len(lazy[0].up.statements)
    with pytest.raises(SourceError, match=r"2_bad\.up\.sql:2:1: SQL does not parse"):
        lazy[1].up.statements  # noqa: B018
    with pytest.raises(SourceError, match=r"2_bad\.up\.sql:2:1"):
        read_migrations(root)


def test_a_released_section_parses_again_when_read(tmp_path: Path) -> None:
    (tmp_path / "1_a.up.sql").write_text("create table p (id bigint);\nalter table p add c int;\n")
    (section,) = [m.up for m in read_migrations(tmp_path)]
    before = section.statements
    section.release()
    again = section.statements
    assert again is not before
    assert [(s.text, s.line, type(s.node)) for s in again] == [
        (s.text, s.line, type(s.node)) for s in before
    ]


def test_when_no_worker_can_be_started_lint_runs_in_one_process(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fork = os.fork
    started: list[int] = []

    def fork_once() -> int:
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork_once)
    split = lint_paths([corpus], LintSettings(), workers=3)
    monkeypatch.undo()
    alone = lint_paths([corpus], LintSettings())
    assert [f.to_dict() for f in alone.findings] == [f.to_dict() for f in split.findings]
    with pytest.raises(ChildProcessError):  # the one started worker was ended and reaped
        os.waitpid(started[0], 0)


def _fails_here() -> int:
    raise ValueError("in the first task")


def _sleeps() -> int:
    time.sleep(30)
    return 1


def _fails_in_child() -> int:
    raise KeyError("in a child")


def test_the_first_task_runs_here_and_its_error_ends_the_children(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here, child = run_forked([os.getpid, os.getpid])
    assert here == os.getpid() != child
    real_fork = os.fork
    started: list[int] = []

    def fork() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    begun = time.monotonic()
    with pytest.raises(ValueError, match="in the first task"):
        run_forked([_fails_here, _sleeps])
    assert time.monotonic() - begun < 10  # the sleeping child was ended, not waited for
    with pytest.raises(ChildProcessError):  # and reaped
        os.waitpid(started[0], 0)


def test_a_childs_error_is_raised_here_with_its_traceback() -> None:
    with pytest.raises(KeyError, match="in a child") as raised:
        run_forked([lambda: 1, _fails_in_child])
    assert any("in a worker process" in note for note in raised.value.__notes__)
