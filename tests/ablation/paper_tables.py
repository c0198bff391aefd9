"""Read the paper's tables from its text (tab-separated, as in ../shared/paper/critique-fine-tuning.txt).

    python tests/ablation/paper_tables.py PAPER.txt > tests/ablation/paper_numbers.json

writes the checked list the specs are compared with (test_paper_numbers.py); the labels are the
specs' (e.g. Table 2's "Qwen2.5-7B WebInstruct-CFT", Table 9's "Two-stage T=0.3").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

Numbers = dict[str, dict[str, float]]  # benchmark -> label -> number


def _rows_after(lines: list[str], header_start: str) -> tuple[list[str], list[list[str]]]:
    """The header's cells and the tab-separated rows under it, up to the first blank line."""
    index = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[index + 1 :]:
        if not line.strip():
            break
        rows.append(line.split("\t"))
    return lines[index].split("\t"), rows


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _put(out: Numbers, benchmark: str, label: str, value: float | None) -> None:
    if value is not None:
        out.setdefault(benchmark, {})[label] = value


def read_tables(text: str) -> dict[str, Numbers]:
    lines = text.splitlines()
    tables: dict[str, Numbers] = {}

    header, rows = _rows_after(lines, "Model\tMethod\tMATH")  # Table 2
    out: Numbers = {}
    model = ""
    for row in rows:
        model = row[0].strip() or model
        if row[1].startswith("$\\Delta"):
            continue
        for benchmark, value in zip(header[2:], row[2:], strict=False):
            _put(out, benchmark, f"{model} {row[1].strip()}", _number(value))
    tables["Table 2"] = out

    for name, start in (("Table 3", "Model\t#Data\tMATH\tGPQA"), ("Table 4", "Model\t#Data\tGPQA\tTheoremQA")):
        header, rows = _rows_after(lines, start)
        out = {}
        for row in rows:
            if len(row) < len(header) or row[0].startswith("Δ"):
                continue  # section titles and Δ rows
            for benchmark, value in zip(header[2:], row[2:], strict=False):
                _put(out, benchmark, row[0].strip(), _number(value))
        tables[name] = out

    header, rows = _rows_after(lines, "Model\tCFT\tSimpleRL-Zero")  # Table 5: models are columns
    out = {}
    for row in rows:
        for label, value in zip(header[1:], row[1:], strict=False):
            _put(
                out,
                row[0].strip(),
                label.strip(),
                _number(value) if row[0] not in ("Data Size", "GPU Hours (H100)") else None,
            )
    tables["Table 5"] = out

    header, rows = _rows_after(lines, "Task\tMetaMathQA")  # Table 6: a dataset header over SFT/CFT
    sources = [cell for cell in header[1:] if cell.strip()]
    out = {}
    for row in rows[1:]:
        for i, value in enumerate(row[1:]):
            _put(out, row[0].strip(), f"{sources[i // 2]}-{'SFT' if i % 2 == 0 else 'CFT'}", _number(value))
    tables["Table 6"] = out

    for name, start in (("Table 7", "Task\tBase\tSelf-generated"), ("Table 8", "Task\tSFT-verified\tGPT-4o-mini")):
        header, rows = _rows_after(lines, start)
        out = {}
        for row in rows:
            for label, value in zip(header[1:], row[1:], strict=False):
                _put(out, row[0].strip(), label.strip(), _number(value))
        tables[name] = out

    header, rows = _rows_after(lines, "Method\tTemperature\tMATH")  # Table 9
    short = {
        "Direct inference": "Direct",
        "Single-pass self-critique": "Single-pass",
        "Two-stage self-critique": "Two-stage",
    }
    out = {}
    method = ""
    for row in rows:
        method = short.get(row[0].strip(), method)
        for benchmark, value in zip(header[2:], row[2:], strict=False):
            _put(out, benchmark, f"{method} T={row[1].strip()}", _number(value))
    tables["Table 9"] = out
    return tables


if __name__ == "__main__":
    print(json.dumps(read_tables(Path(sys.argv[1]).read_text()), indent=1, sort_keys=True))
