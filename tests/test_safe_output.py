"""Nothing lost: one safe writer for every output (analysis.safe_output), issue 8 items 1 and 6.

Each test named ``test_issue8_*`` reproduces a problem found on the old main (its docstring
says what) and fails there.  The fault-injection tests kill a real process at every step of
the swap (SIGKILL, no clean-up code runs) and check the report at ``--out`` each time.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analysis import paths, safe_output
from analysis._errors import InputError
from analysis.cli import main
from analysis.safe_output import (check_file, check_folder, clean_leftovers, ownership_problems,
                                  verify_folder, write_file, write_folder)

SURVEY = paths.EXAMPLES / "survey.sav"
CODEBOOK = paths.EXAMPLES / "codebook.yaml"
REFERENCE = paths.REPLICATION_REPORT


def _fill(text):
    def fill(d):
        (d / "report.md").write_text(text)
        (d / "tables").mkdir()
        (d / "tables" / "a.csv").write_text(f"x\n{text}\n")
    return fill


def _siblings(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".tmp-", ".old-")))


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ------------------------------------------------------------------ reproduced problems

def test_issue8_force_never_deletes_a_foreign_folder_with_a_manifest(tmp_path, capsys):
    """Reproduced: `analyze --out DIR --force` deleted any folder holding a file named
    manifest.json (a web-app folder) with everything in it."""
    webapp = tmp_path / "webapp"
    webapp.mkdir()
    (webapp / "manifest.json").write_text('{"name": "my extension", "version": "1.0"}')
    (webapp / "background.js").write_text("console.log('years of work')")
    before = _tree(webapp)
    code = main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out", str(webapp),
                 "--force", "--sims", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "does not name the salesgxe package" in err and str(webapp) in err
    assert _tree(webapp) == before


def test_issue8_force_never_deletes_inputs_inside_an_old_report(tmp_path, capsys):
    """Reproduced: input data and codebook kept inside an old report folder were deleted
    with it by `analyze --force`."""
    old = tmp_path / "old_report"
    shutil.copytree(REFERENCE, old)
    data, book = old / "survey.sav", old / "codebook.yaml"
    shutil.copy(SURVEY, data)
    shutil.copy(CODEBOOK, book)
    before = _tree(old)
    code = main(["analyze", str(data), "--codebook", str(book), "--out", str(old), "--force",
                 "--sims", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "survey.sav" in err and err.count("\n") == 1
    assert _tree(old) == before
    # Even when the folder is ours (every file listed), an input inside it is refused.
    ours = write_folder(tmp_path / "ours", _fill("x"))
    with pytest.raises(InputError, match="lies inside the output folder"):
        check_folder(ours, force=True, inputs=[ours / "report.md"])


def test_issue8_power_out_needs_force(tmp_path, capsys):
    """Reproduced: `power --out DIR` overwrote existing files (power.csv ...) without --force."""
    out = tmp_path / "power"
    out.mkdir()
    (out / "power.csv").write_text("my own power analysis\n")
    for force in ([], ["--force"]):     # not a folder salesgxe wrote: refused even with --force
        code = main(["power", "--n", "60", "--reps", "20", "--targets", "S2b", "--out", str(out),
                     *force])
        err = capsys.readouterr().err
        assert code == 2 and "power.csv" in err and "not a folder salesgxe wrote" in err
        assert (out / "power.csv").read_text() == "my own power analysis\n"
    # A power folder salesgxe wrote is replaced only with --force.
    ours = tmp_path / "ours"
    assert main(["power", "--n", "60", "--reps", "20", "--targets", "S2b", "--out", str(ours)]) == 0
    code = main(["power", "--n", "60", "--reps", "20", "--targets", "S2b", "--out", str(ours)])
    assert code == 2 and "use --force" in capsys.readouterr().err


def test_issue8_replicate_data_dir_needs_force(tmp_path, capsys):
    """Reproduced: `replicate --data-dir DIR` overwrote study1.csv ... without --force."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "study1.csv").write_text("my real study\n")
    code = main(["replicate", "--out", str(tmp_path / "rep"), "--data-dir", str(data),
                 "--sims", "0"])
    assert code == 2 and "study1.csv" in capsys.readouterr().err
    assert (data / "study1.csv").read_text() == "my real study\n"
    assert not (tmp_path / "rep").exists()
    code = main(["replicate", "--out", str(data / "rep"), "--data-dir", str(data), "--force",
                 "--sims", "0"])
    assert code == 2 and "contain each other" in capsys.readouterr().err


def test_issue8_killed_runs_leftovers_are_cleaned_only_when_their_process_is_gone(tmp_path):
    """Reproduced: hidden .tmp-* folders of killed runs stayed forever."""
    from analysis.render.report import write_report  # the report path, as on the old main
    from tests.test_report import _kwargs
    config = tmp_path / "simulation.yaml"
    config.write_text("seed: 1\n")
    files = {"config": config, "figure_file": None}
    kw = _kwargs(files)
    kw["figures"] = {}
    pid = _dead_pid()
    dead_tmp = tmp_path / f".tmp-rep-{pid}-{safe_output._process_marker(os.getpid())}-0123abcd"
    dead_tmp.mkdir()
    (dead_tmp / "half.csv").write_text("half a report")
    dead_old = tmp_path / f".old-rep-{pid}-x-89abcdef"
    dead_old.mkdir()
    alive = tmp_path / f".tmp-rep-{os.getpid()}-{safe_output._process_marker(os.getpid())}-00000000"
    alive.mkdir()                                   # a concurrent run of a live process
    unrelated = tmp_path / f".tmp-other-{pid}-x-0123abcd"
    unrelated.mkdir()                               # another target's leftover: not ours to judge
    write_report(tmp_path / "rep", **kw)
    assert not dead_tmp.exists() and not dead_old.exists()
    assert alive.exists() and unrelated.exists()


def test_issue8_force_onto_a_symlink_keeps_the_link_valid(tmp_path):
    """Reproduced: `--force` onto a symlinked report folder left a dangling .old-* link."""
    real = write_folder(tmp_path / "real", _fill("old"))
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    write_folder(link, _fill("new"), force=True)
    assert link.is_symlink() and os.path.realpath(link) == str(real.resolve())
    assert (link / "report.md").read_text() == "new" and verify_folder(real) == []
    assert _siblings(tmp_path) == []
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "gone", target_is_directory=True)
    with pytest.raises(InputError, match="symbolic link to a missing path"):
        check_folder(dangling, force=True)


def test_issue8_target_checked_before_the_work(tmp_path, capsys):
    """Reproduced: an unusable --out (a file, a missing parent) was only found after the whole
    analysis had run; now it is one line naming the path, before any reading."""
    a_file = tmp_path / "report"
    a_file.write_text("not a folder")
    for out, words in ((a_file, "not a folder"), (tmp_path / "no" / "such" / "rep", "does not exist")):
        code = main(["analyze", str(tmp_path / "missing.sav"), "--codebook", str(CODEBOOK),
                     "--out", str(out), "--force"])
        err = capsys.readouterr().err
        assert code == 2 and words in err and str(out) in err and err.count("\n") == 1
    assert a_file.read_text() == "not a folder"


# ------------------------------------------------------------------ ownership and files

def test_ownership_rules(tmp_path):
    out = write_folder(tmp_path / "out", _fill("v1"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["package"]["name"] == "salesgxe"
    assert [o["path"] for o in manifest["outputs"]] == ["report.md", "tables/a.csv"]
    assert ownership_problems(out) == [] and verify_folder(out) == []
    with pytest.raises(InputError, match="exists; use --force"):
        write_folder(out, _fill("v2"))
    write_folder(out, _fill("v2"), force=True)
    assert (out / "report.md").read_text() == "v2"
    (out / "report.md").write_text("edited by hand")          # listed: still ours
    assert ownership_problems(out) == []
    assert verify_folder(out) == ["files were changed since salesgxe wrote them: report.md"]
    (out / "extra").mkdir()
    (out / "extra" / "x.txt").write_text("x")
    os.symlink("/etc", out / "link")
    problems = ownership_problems(out)
    assert "extra/x.txt" in problems[0] and "link" in problems[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_folder(empty, _fill("e"))                       # an empty folder: nothing to lose

    def incomplete(d):
        (d / "manifest.json").write_text('{"package": {"name": "salesgxe"}, "outputs": []}')
        (d / "x").write_text("x")
    with pytest.raises(ValueError, match="does not list"):
        write_folder(tmp_path / "bad", incomplete)
    assert not (tmp_path / "bad").exists() and _siblings(tmp_path) == []


def test_write_file_rules(tmp_path):
    target = tmp_path / "cb.yaml"
    write_file(target, "a: 1\n")
    with pytest.raises(InputError, match="use --force"):
        write_file(target, "a: 2\n")
    write_file(target, "a: 2\n", force=True)
    assert target.read_text() == "a: 2\n"
    with pytest.raises(InputError, match="is the output file"):
        check_file(target, force=True, inputs=[target])
    with pytest.raises(InputError, match="is a folder"):
        check_file(tmp_path, force=True)
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    write_file(link, "a: 3\n", force=True)
    assert link.is_symlink() and target.read_text() == "a: 3\n"
    assert _siblings(tmp_path) == []


def test_io_errors_name_the_path(tmp_path, monkeypatch, capsys):
    def full(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(safe_output, "_fsync_tree", full)
    with pytest.raises(InputError) as err:
        write_folder(tmp_path / "out", _fill("x"))
    assert str(tmp_path / "out") in str(err.value) and "No space left" in str(err.value)
    assert not (tmp_path / "out").exists() and _siblings(tmp_path) == []
    monkeypatch.setattr(safe_output.shutil, "disk_usage",
                        lambda p: shutil._ntuple_diskusage(10, 10, 1000))
    code = main(["init-codebook", str(SURVEY), "--out", str(tmp_path / "cb.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "not enough free space" in err and "cb.yaml" in err


def test_manifest_records_inputs_by_name_and_relative_command(tmp_path, monkeypatch):
    data = tmp_path / "private" / "ann" / "survey.csv"
    data.parent.mkdir(parents=True)
    data.write_text("x\n1\n")
    out = write_folder(tmp_path / "out", _fill("x"), inputs=[data],
                       meta={"command": safe_output.relative_command(
                           ["analyze", str(data), f"--out={tmp_path / 'out'}"])})
    text = (out / "manifest.json").read_text()
    manifest = json.loads(text)
    assert manifest["inputs"][0]["path"] == "survey.csv"
    assert manifest["inputs"][0]["sha256"] == safe_output.sha256_file(data)
    assert manifest["meta"]["command"] == "salesgxe analyze survey.csv --out=out"
    assert str(tmp_path) not in text
    monkeypatch.chdir(tmp_path)
    assert safe_output.display_path(data) == "private/ann/survey.csv"


# ------------------------------------------------------------------ fault injection

_CHILD = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    from analysis import safe_output
    target, kill_at, fallback = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    if fallback:
        safe_output._RENAMEAT2 = None
    count = [0]
    def wrap(owner, name):
        real = getattr(owner, name)
        def step(*a, **k):
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            count[0] += 1
            return real(*a, **k)
        setattr(owner, name, step)
    for name in ("rename", "replace", "unlink", "rmdir", "mkdir"):
        wrap(os, name)
    wrap(safe_output, "_exchange")
    def fill(d):
        (d / "report.md").write_text("new")
        (d / "tables").mkdir()
        (d / "tables" / "a.csv").write_text("x\\nnew\\n")
    safe_output.write_folder(target, fill, force=True)
    print(count[0])
""")


def _kill_run(target, kill_at, fallback):
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(target), str(kill_at),
                           "1" if fallback else "0"], capture_output=True, text=True,
                          cwd=paths.ROOT)
    return proc


@pytest.mark.parametrize("fallback", [False, True], ids=["renameat2", "two-renames"])
def test_kill_at_every_step_of_a_forced_replacement(tmp_path, fallback):
    """SIGKILL the writer before each file-system step of `--force` (rename, exchange, unlink,
    rmdir, mkdir).  With renameat2 a complete report (old or new) is at --out at every
    instant; with the two-renames fallback the one gap (between the renames) is repaired by
    the next run before it does anything else.  The next run also removes every leftover."""
    if not fallback and safe_output.SWAP_METHOD != "renameat2-exchange":
        pytest.skip("renameat2 unavailable here")
    out = tmp_path / "rep"
    seen, step = set(), 0
    while True:
        if out.exists():
            shutil.rmtree(out)
        for p in tmp_path.iterdir():
            shutil.rmtree(p)
        write_folder(out, _fill("old"))
        proc = _kill_run(out, step, fallback)
        killed = proc.returncode == -signal.SIGKILL
        assert killed or proc.returncode == 0, proc.stderr
        if not out.exists():
            assert fallback, f"no report at --out after a kill at step {step}"
            clean_leftovers(out)                    # what the next run does first
        assert verify_folder(out) == [], (step, verify_folder(out))
        state = (out / "report.md").read_text()
        assert state in {"old", "new"}
        seen.add(state)
        write_folder(out, _fill("next"), force=True)  # the next run: installs, cleans up
        assert _siblings(tmp_path) == [] and (out / "report.md").read_text() == "next"
        if not killed:
            assert state == "new"
            break
        step += 1
    assert seen == {"old", "new"} and step > 4


def test_report_survives_a_failing_swap_in_process(tmp_path, monkeypatch):
    """Patch the exchange / each rename of the fallback to raise: the old report stays."""
    out = write_folder(tmp_path / "rep", _fill("old"))

    def fail(*a, **k):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(safe_output, "_exchange", fail)
    with pytest.raises(InputError, match="Input/output error"):
        write_folder(out, _fill("new"), force=True)
    assert verify_folder(out) == [] and (out / "report.md").read_text() == "old"
    assert _siblings(tmp_path) == []
    monkeypatch.undo()
    monkeypatch.setattr(safe_output, "_RENAMEAT2", None)    # the two-renames fallback
    real_rename = os.rename
    for failing in (1, 2):
        calls = [0]

        def rename(a, b, failing=failing, calls=calls):
            calls[0] += 1
            if calls[0] == failing:
                raise OSError(5, "Input/output error")
            return real_rename(a, b)
        monkeypatch.setattr(safe_output.os, "rename", rename)
        with pytest.raises(InputError):
            write_folder(out, _fill("new"), force=True)
        monkeypatch.setattr(safe_output.os, "rename", real_rename)
        assert verify_folder(out) == [] and (out / "report.md").read_text() == "old"
        assert _siblings(tmp_path) == []
