"""Hub dataset sources read from local files in the hub's field layout; the critique audit."""

import json

import pytest

from cft_lib.data.builders import DataConfig, build_dataset
from cft_lib.data.hub_sources import HUB_SOURCES
from cft_lib.data.records import read_training_records
from cft_lib.data.sources import micro_sources
from cft_lib.teachers.config import TeacherConfig


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_each_hub_layout_maps_to_question_response_answer(tmp_path):
    web = _write(
        tmp_path / "web.jsonl",
        [
            {
                "instruction": "Please critique ...",
                "output": "Critique: ...",
                "input": "Question:\nWhat is 2+2?\n\nSolution:\n2+2=4\n",
            },
            {"instruction": "x", "output": "y", "input": "not the CFT layout"},
        ],
    )
    examples, skipped = HUB_SOURCES["webinstruct"].sample(10, 0, str(web))
    assert [(e.question, e.response) for e in examples] == [("What is 2+2?", "2+2=4")]
    assert skipped["malformed"] == 1
    meta = _write(tmp_path / "meta.jsonl", [{"query": "Q?", "response": "work\nThe answer is: 12"}])
    (example,), _ = HUB_SOURCES["metamathqa"].sample(10, 0, str(meta))
    assert example.answer == "12"
    numina = _write(tmp_path / "numina.jsonl", [{"problem": "P?", "solution": "so \\boxed{\\frac{1}{2}}."}])
    (example,), _ = HUB_SOURCES["numinamath"].sample(10, 0, str(numina))
    assert example.answer == "\\frac{1}{2}"


def test_sft_build_from_a_local_file_in_hub_layout_accounts_for_every_row(tmp_path, monkeypatch):
    monkeypatch.setenv("CFT_HOME", str(tmp_path / "home"))
    rows = [{"query": f"Q{i}?", "response": f"work {i}\nThe answer is: {i}"} for i in range(30)]
    path = _write(tmp_path / "meta.jsonl", rows + [{"query": "missing response"}])
    built = build_dataset(DataConfig(source=f"metamathqa:{path}", variant="sft", size=40), progress=False)
    assert built.stats["built"] == 30 and built.stats["skipped"] == {"malformed": 1}
    assert built.path.parent.name.startswith("sft-metamathqa-")


@pytest.mark.parametrize("keep", [False, True])
def test_critique_audit_measures_and_optionally_removes_wrong_verdicts(tmp_path, monkeypatch, keep):
    monkeypatch.setenv("CFT_HOME", str(tmp_path / "home"))
    config = DataConfig(variant="cft", size=300, teacher=TeacherConfig(error_rate=0.3, seed=2), keep_consistent=keep)
    built = build_dataset(config, progress=False)
    records = read_training_records(built.path)
    agreement = built.stats["verdict_agreement"]
    if keep:
        assert agreement == 1.0 and built.stats["skipped"]["inconsistent_verdict"] > 50
        truths = {e.id: e.meta["response_correct"] for _, e in micro_sources.get("micro-web").sample(2000, 0)}
        assert all(r.meta["verdict"] == truths[r.id] for r in records)
    else:
        assert 0.6 < agreement < 0.8  # about 1 - error_rate


class _CountingRows(list):
    """A split that counts the rows read, as an Arrow-backed `datasets.Dataset` would materialise them."""

    reads = 0

    def __getitem__(self, index):
        type(self).reads += 1
        return super().__getitem__(index)


def test_a_large_split_is_sampled_by_reading_only_the_rows_it_needs(monkeypatch):
    rows = _CountingRows({"query": f"Q{i}?", "response": f"The answer is: {i}"} for i in range(100_000))
    source = HUB_SOURCES["metamathqa"]
    monkeypatch.setattr(type(source), "rows", lambda self, path: (rows, 0))
    examples, skipped = source.sample(50, seed=3)
    assert len(examples) == 50 and not skipped and _CountingRows.reads == 50
    again, _ = source.sample(50, seed=3)
    other, _ = source.sample(50, seed=4)
    assert [e.id for e in again] == [e.id for e in examples] != [e.id for e in other]


def test_a_pinned_hub_source_carries_its_revision_into_the_fingerprint():
    from cft_lib.data.hub_sources import parse_hub_source

    source, path = parse_hub_source("webinstruct@abc123")
    assert source.revision == "abc123" and path is None and source.hub == HUB_SOURCES["webinstruct"].hub
    assert parse_hub_source("webinstruct@abc123:file.jsonl") is None  # a local file is pinned by its content
    pinned, newest = DataConfig(source="webinstruct@abc123"), DataConfig(source="webinstruct")
    assert pinned.fingerprint != newest.fingerprint and pinned.label == newest.label == "cft-webinstruct"
    pinned.check()
