"""One upload, one outcome: `grader grade`, `grader batch`, the Gradescope autograder and
`grader bundle` all take an upload through grader.intake and must agree on it.

The table feeds each upload shape to the four paths. The hidden suite is not run (the
engine has its own tests): each path's outcome is the set of files the engine would grade,
byte for byte, or the one-line message refusing the upload. One test grades a nested
upload end to end.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from autograder_toy import TOTAL_POINTS, make_toy

import grader.api
import grader.bundle
from grader import homeworks
from grader.autograder import build_autograder, run_autograder
from grader.batch import job as batch_job
from grader.batch.jobs import Job
from grader.errors import GraderError
from grader.homeworks import Homework
from grader.intake import MAX_SOURCE_BYTES, IntakeError, intake

Files = dict[str, bytes]


@dataclass(frozen=True)
class Outcome:
    files: Files | None = None  # what the engine grades, when accepted
    refused: str = ""  # the message, when refused


# ---- upload shapes ------------------------------------------------------------------------


def _pkg(hw: Homework, source: str = "solution") -> Files:
    base = (hw.solution_dir if source == "solution" else hw.starter_dir) / hw.package
    return {p.name: p.read_bytes() for p in sorted(base.glob("*.py"))}


def _write(folder: Path, files: Files) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _zip(path: Path, files: Files) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for rel, data in files.items():
            archive.writestr(rel, data)
    return path


def _prefixed(prefix: str, files: Files) -> Files:
    return {prefix + name: data for name, data in files.items()}


# Each shape: (name, homework, build(tmp, hw) -> upload path, expected ("ok"/"refused", text)).
Shape = tuple[str, Callable[[Path, Homework], Path], str]
SHAPES: list[Shape] = [
    ("folder holding the package", lambda t, hw: _write(t, _prefixed("toyhw/", _pkg(hw))), "ok"),
    ("the package folder itself", lambda t, hw: _write(t / "toyhw", _pkg(hw)), "ok"),
    ("zip of the package", lambda t, hw: _zip(t / "s.zip", _prefixed("toyhw/", _pkg(hw))), "ok"),
    ("zip of bare files", lambda t, hw: _zip(t / "s.zip", _pkg(hw)), "ok"),
    (
        "zip from a Mac",
        lambda t, hw: _zip(
            t / "s.zip", {**_prefixed("hw/toyhw/", _pkg(hw)), "__MACOSX/hw/toyhw/._ops.py": b"x"}
        ),
        "ok",
    ),
    (
        "git checkout, nested",
        lambda t, hw: _write(
            t,
            {
                **_prefixed("my-repo/assignments/toyhw/toyhw/", _pkg(hw)),
                "my-repo/.git/toyhw/ops.py": b"not this one",
                "my-repo/README.md": b"# my work\n",
            },
        ),
        "ok",
    ),
    ("flat, one file", lambda t, hw: _write(t, {"ops.py": _pkg(hw)["ops.py"]}), "ok"),
    (
        "two copies",
        lambda t, hw: _write(
            t, {**_prefixed("a/toyhw/", _pkg(hw)), **_prefixed("b/toyhw/", _pkg(hw))}
        ),
        "refused: found more than one toyhw/ folder holding toyhw's files (a/toyhw, b/toyhw)",
    ),
    (
        "no homework file",
        lambda t, hw: _write(t, {"report.pdf": b"%PDF"}),
        "refused: no file of toyhw found in the submission",
    ),
    (
        "another homework's package",
        lambda t, hw: _write(t, _prefixed("toyhw/", {"ops.py": b"class MLPClassifier: ...\n"})),
        "refused: this looks like hw2: it defines MLPClassifier, the toyhw starter defines",
    ),
    (
        "a source file too big",
        lambda t, hw: _write(t, {"toyhw/ops.py": b"#" * (MAX_SOURCE_BYTES + 1)}),
        "refused: toyhw/ops.py is 1.0 MB; source files must be under 1 MB",
    ),
]


# ---- the four paths -------------------------------------------------------------------------


class EngineSpy:
    """Stands in for the hidden-suite run: records what the engine would grade."""

    def __init__(self) -> None:
        self.seen: list[Files] = []

    def __call__(self, hw: Homework, suite_dir: Path, plugin: object, keyword: str | None) -> None:
        root = plugin.session.submission_root  # type: ignore[attr-defined]
        self.seen.append(
            {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        )


def _via_grade(hw: Homework, upload: Path, tmp: Path, spy: EngineSpy) -> Outcome:
    try:
        grader.api.grade(hw, upload, threads=1)
    except GraderError as exc:
        return Outcome(refused=str(exc))
    return Outcome(files=spy.seen[-1])


def _via_batch(hw: Homework, upload: Path, tmp: Path, spy: EngineSpy) -> Outcome:
    job = Job(
        student="s1", submission=str(upload), journal=str(tmp / "journal"), homework=hw.name,
        package=hw.package, starter_dir=str(hw.starter_dir), suite_dir=str(hw.suite_dir),
    )  # fmt: skip
    if batch_job.run(job) == batch_job.REJECTED:
        record = json.loads(next((tmp / "journal").rglob("*.json")).read_text())
        return Outcome(refused=record["error"])
    return Outcome(files=spy.seen[-1])


def _via_autograder(hw: Homework, upload: Path, tmp: Path, spy: EngineSpy) -> Outcome:
    root = tmp / "ag"
    with zipfile.ZipFile(build_autograder(hw, tmp / "ag.zip", hidden_seed="1").path) as archive:
        archive.extractall(root / "source")
    if upload.is_file():  # Gradescope unpacks an uploaded zip into submission/
        with zipfile.ZipFile(upload) as archive:
            archive.extractall(root / "submission")
    else:
        shutil.copytree(upload, root / "submission", symlinks=True)
    results = run_autograder(root)
    if results.get("extra_data", {}).get("unusable_submission"):
        return Outcome(refused=results["tests"][0]["output"])
    assert results["tests"] == [], results  # the spy ran no test
    return Outcome(files=spy.seen[-1])


def _via_bundle(hw: Homework, upload: Path, tmp: Path, spy: EngineSpy) -> Outcome:
    try:
        info = grader.bundle.bundle(hw, package_dir=upload, out=tmp / "b.zip")
    except GraderError as exc:
        return Outcome(refused=str(exc))
    with zipfile.ZipFile(info.path) as archive:  # what it uploads, completed as the grader does
        files = {name: archive.read(name) for name in archive.namelist()}
    files |= {rel: (hw.starter_dir / rel).read_bytes() for rel in info.from_starter}
    return Outcome(files=files)


PATHS = {
    "grade": _via_grade,
    "batch": _via_batch,
    "autograder": _via_autograder,
    "bundle": _via_bundle,
}


@pytest.fixture()
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Homework:
    hw = make_toy(tmp_path / "toy")
    real_get = homeworks.get
    monkeypatch.setattr(
        homeworks, "get", lambda name, *a, **k: hw if name == hw.name else real_get(name)
    )
    return hw


@pytest.mark.parametrize(("shape", "build", "expected"), SHAPES, ids=[s[0] for s in SHAPES])
def test_every_path_takes_an_upload_the_same_way(
    toy: Homework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, build, expected
) -> None:
    spy = EngineSpy()
    monkeypatch.setattr(grader.api, "_run_suite", spy)
    monkeypatch.setattr(grader.bundle, "_check_imports", lambda *a: None)  # tested in test_bundle
    (tmp_path / "up").mkdir()
    upload = build(tmp_path / "up", toy)
    outcomes = {}
    for name, path in PATHS.items():
        (tmp_path / name).mkdir()
        outcomes[name] = path(toy, upload, tmp_path / name, spy)
    first = outcomes["grade"]
    assert all(o == first for o in outcomes.values()), {
        k: o.refused or "accepted" for k, o in outcomes.items()
    }
    if expected == "ok":
        assert first.files is not None
        assert first.files["toyhw/ops.py"] == (toy.solution_dir / "toyhw" / "ops.py").read_bytes()
        assert sorted(first.files) == toy.whitelist()  # the whitelist, nothing else
    else:
        assert expected.removeprefix("refused: ") in first.refused
        assert "\n" not in first.refused


# ---- the rules one by one ------------------------------------------------------------------


def test_missing_files_come_from_the_starter_and_are_named(toy: Homework, tmp_path: Path) -> None:
    upload = _write(tmp_path / "up", {"ops.py": _pkg(toy)["ops.py"]})
    taken = intake(toy, upload, tmp_path / "stage")
    assert taken.provided == ("toyhw/ops.py",) and taken.from_starter == ("toyhw/__init__.py",)
    assert (taken.root / "toyhw" / "__init__.py").read_bytes() == _pkg(toy, "starter")[
        "__init__.py"
    ]
    assert "not in your submission, taken from the starter: toyhw/__init__.py" in taken.notes


def test_links_and_extra_files_never_reach_the_engine(toy: Homework, tmp_path: Path) -> None:
    upload = _write(
        tmp_path / "up", {"toyhw/conftest.py": b"raise SystemExit", "toyhw/torch.py": b""}
    )
    (upload / "toyhw" / "ops.py").symlink_to(toy.solution_dir / "toyhw" / "ops.py")
    with pytest.raises(IntakeError, match="no file of toyhw found"):
        intake(toy, upload, tmp_path / "s1")


def test_a_file_that_does_not_parse_is_graded_and_named(toy: Homework, tmp_path: Path) -> None:
    upload = _write(tmp_path / "up", {"toyhw/ops.py": b"def double(x):\n    return x *\n"})
    taken = intake(toy, upload, tmp_path / "stage")
    assert taken.provided == ("toyhw/ops.py",)
    assert any(n.startswith("toyhw/ops.py line 2 does not parse") for n in taken.notes)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../evil.py": "x"}, "leaves the zip"),
        ({"/etc/evil.py": "x"}, "absolute path"),
        ({"notes.txt": "x"}, "no file of toyhw found"),
    ],
)
def test_bad_zips_are_one_line_errors(toy, tmp_path: Path, entries, message: str) -> None:
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, data in entries.items():
            out.writestr(zipfile.ZipInfo(name), data)
    with pytest.raises(IntakeError, match=message):
        intake(toy, archive, tmp_path / "stage")


def test_corrupt_zip_missing_path_and_other_files(toy, tmp_path: Path) -> None:
    corrupt = tmp_path / "sub.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(IntakeError, match="not a readable .zip"):
        intake(toy, corrupt, tmp_path / "s1")
    with pytest.raises(IntakeError, match="does not exist"):
        intake(toy, tmp_path / "nope", tmp_path / "s2")
    text = tmp_path / "sub.txt"
    text.write_text("hi")
    with pytest.raises(IntakeError, match="not a .zip"):
        intake(toy, text, tmp_path / "s3")


@pytest.mark.parametrize("name", homeworks.available())
def test_each_reference_is_accepted_as_its_own_homework(name: str, tmp_path: Path) -> None:
    hw = homeworks.get(name)
    assert hw.solution_dir is not None, f"{name} has no reference solution in solutions/"
    taken = intake(hw, hw.solution_dir, tmp_path / "stage")
    assert sorted(taken.provided) == hw.whitelist() and taken.notes == ()


def test_another_homework_uploaded_flat_is_named(tmp_path: Path) -> None:
    hw2, hw3 = homeworks.get("hw2"), homeworks.get("hw3")
    upload = tmp_path / "up"
    for module in ("models.py", "train.py"):  # hw3 has both names: found flat, by name
        _write(upload, {module: (hw2.solution_dir / "hw2" / module).read_bytes()})
    with pytest.raises(IntakeError) as caught:
        intake(hw3, upload, tmp_path / "stage")
    assert str(caught.value).startswith(
        "this looks like hw2: it defines MLPClassifier, init_weights, the hw3 starter defines "
        "Block, CNNClassifier"
    )


@pytest.mark.slow
def test_a_nested_upload_grades_end_to_end(toy: Homework, tmp_path: Path) -> None:
    upload = _write(tmp_path / "up", _prefixed("my-repo/assignments/toyhw/toyhw/", _pkg(toy)))
    report = grader.api.grade(toy, upload, threads=1)
    assert report.score == pytest.approx(TOTAL_POINTS), [(t.name, t.output) for t in report.tests]
    assert "graded the toyhw package found at my-repo/assignments/toyhw/toyhw/" in report.output
    starter = grader.api.grade(
        toy, _write(tmp_path / "st", _prefixed("toyhw/", _pkg(toy, "starter"))), threads=1
    )
    assert starter.score == 0  # and the starter, graded the same way, gets nothing
