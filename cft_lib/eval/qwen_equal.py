"""Answer equivalence as the CFT paper's official evaluation decides it: the Qwen2.5-Math toolkit's
`math_equal` (`evaluation/grader.py`) with the lenient numeric rules the CFT repo added
(`tools/evaluate_math/grader.py`).

The order of the rules, each tried only when the ones before it did not match:
1. equal as lower-cased strings; a choice letter A-E as the toolkit cleans it;
2. numbers (commas dropped, a trailing % read as /100): the CFT rounding to one decimal place, then
   the toolkit's percentage variants gold/100, gold, gold*100, each with a relative tolerance of
   1e-4. When both sides are numbers this step decides;
3. brackets dropped; tuples and intervals element by element (bracket kinds ignored); matrices
   element by element;
4. CFT: scientific notation (`3e8`, `3\\times10^{8}`) read as a number;
5. equations: `a = b` against `c = d` as `a - (b)` against `c - (d)` (either sign); `x = 5` against
   `5`; CFT: the last `=` side of each;
6. CFT: `1e-3` and `10^{-3}` written out as decimals;
7. sympy: equal as parsed, `simplify(a - b) == 0`, equal numerically (rel. tol. 1e-4), matrices
   equal to three decimals;
8. CFT: equal to the significant digits of the less precise side.

Written from those rules, not copied. Departures, each where the original would raise, hang or
call two different numbers equal, or where a grader cannot know the benchmark:
- Both sides are normalised twice (`qwen_equal`). The toolkit does that to predictions and to
  MATH / MATH-500 golds, but normalises other golds once and Minerva-Math golds not at all.
- The toolkit parses with sympy's `parse_latex` (which needs antlr 4.11; this environment has
  4.13), then `parse_expr`, then `latex2sympy`. Here `latex2sympy` alone: `parse_expr` evaluates
  its input as Python, and a model's output is not code to run; Python's `**` is all it adds.
- Numbers past float range (a 400-digit integer) are compared exactly as decimals, where the
  toolkit reads both as infinity and calls them equal; powers of ten with exponents past float range
  are left as text where the toolkit raises.
- Sympy is not asked to parse text longer than `MAX_PARSED_CHARS` or nested deeper than
  `MAX_PARSED_DEPTH` (`extraction.affordable_to_parse`: its LaTeX parser takes seconds per level
  of bare braces); such answers are still compared by every other rule.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from cft_lib.eval.extraction import affordable_to_parse
from cft_lib.eval.qwen_parser import normalize

_CHOICE_LETTER = re.compile(r"\b(A|B|C|D|E)\b")
_LIST = re.compile(r"[(\[].+[)\]]")
_TIMES_TEN = re.compile(r"(?<!\d)(\d+\.?\d*?)\\times10\^\{?([+-]?\d+)\}?")  # (?<!\d): one try per digit run
_TIMES_TEN_SLASH = re.compile(r"(?<!\d)(\d+\.?\d*?)\\times10\^\{([+-]?\d+)\}\\")
_POWER_OF_TEN = re.compile(r"10\^\{([+-]?\d+)\}")
_MATRIX_BEGIN = ("\\begin{pmatrix}", "\\begin{bmatrix}")
_MATRIX_END = ("\\end{pmatrix}", "\\end{bmatrix}")
_MAX_EXPONENT_DIGITS = 4  # 10**9999 is still quick to build; a longer exponent is not


def qwen_equal(pred: str, gold: str) -> bool:
    """Whether `pred` means `gold`, each normalised twice first.

    Twice, as the toolkit normalises a prediction (in extract_answer, then in run_execute) and a MATH
    or MATH-500 gold (in extract_answer, then in parse_ground_truth); normalising is not idempotent
    (`x \\in [1,2]` loses its spaces first, then its `x\\in`).
    """
    return math_equal(normalize(normalize(pred)), normalize(normalize(gold)))


def math_equal(pred: str, ref: str, include_percentage: bool = True, is_close: bool = True) -> bool:
    """The toolkit's `math_equal` with CFT's additions, on answers already normalised."""
    if pred.strip().lower() == ref.strip().lower():
        return True
    if ref in ("A", "B", "C", "D", "E") and _choice_letter(pred) == ref:
        return True
    numbers = _number(pred), _number(ref)
    if numbers[0] is not None and numbers[1] is not None:
        return _numbers_equal(pred, ref, numbers[0], numbers[1], include_percentage, is_close)
    if not pred:
        return False
    pred, ref = pred.strip(), ref.strip()
    if "pmatrix" in pred and "pmatrix" not in ref:
        ref = _braces_to_pmatrix(ref)
    if _same_without_brackets(pred, ref):
        return True
    if _LIST.match(pred) and _LIST.match(ref):
        pred_parts, ref_parts = pred[1:-1].split(","), ref[1:-1].split(",")
        if len(pred_parts) == len(ref_parts) and all(
            math_equal(p, r, include_percentage, is_close) for p, r in zip(pred_parts, ref_parts, strict=True)
        ):
            return True
    if _is_matrix(pred) and _is_matrix(ref) and _matrices_equal(pred, ref, include_percentage, is_close):
        return True
    if _scientific_number(pred) == _scientific_number(ref):  # CFT
        return True
    if _equations_equal(pred, ref, include_percentage, is_close):
        return True
    if ("=" in pred or "=" in ref) and math_equal(  # CFT: compare what the last "=" gives
        pred.split("=")[-1].replace("{", "("), ref.split("=")[-1].replace("{", "("), include_percentage, is_close
    ):
        return True
    if _written_out(pred) == _written_out(ref):  # CFT
        return True
    if symbolic_equal(pred, ref):
        return True
    return _equal_to_significant_digits(_times_ten_as_e(pred), _times_ten_as_e(ref))  # CFT


def _choice_letter(pred: str) -> str:
    """The toolkit's `choice_answer_clean`: the last standalone A-E, else the text itself."""
    pred = pred.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = _CHOICE_LETTER.findall(pred.upper())
    return (letters[-1] if letters else pred.strip().strip(".")).rstrip(".").rstrip("/")


def _number(text: str) -> Decimal | None:
    """The toolkit's `parse_digits` (commas dropped; a trailing % or \\% read as /100), exactly."""
    text = text.replace(",", "")
    value = _decimal(text)
    if value is None and text.endswith("%"):
        text = text[:-1].removesuffix("\\")
        value = _decimal(text)
        return None if value is None else value / 100
    return value


def _decimal(text: str) -> Decimal | None:
    """`text` as Python's float() reads it, but exact (no overflow to inf); None where float() fails."""
    try:
        float(text)  # the toolkit's grammar: float() accepts "1_000", " 5 ", "inf" and rejects "0x1"
        value = Decimal(text.strip().replace("_", ""))
    except (ValueError, InvalidOperation):
        return None
    return value


def _numbers_equal(
    pred_text: str, ref_text: str, pred: Decimal, ref: Decimal, include_percentage: bool, is_close: bool
) -> bool:
    if not (pred.is_finite() and ref.is_finite() and math.isfinite(float(pred)) and math.isfinite(float(ref))):
        return pred == ref  # past float range the toolkit sees inf == inf; exact here
    one_decimal = _round_one_decimal(pred_text), _round_one_decimal(ref_text)  # CFT
    if one_decimal[0] is not None and one_decimal[0] == one_decimal[1]:
        return True
    prediction, reference = float(pred), float(ref)
    candidates = [reference / 100, reference, reference * 100] if include_percentage else [reference]
    for candidate in candidates:
        if math.isclose(candidate, prediction, rel_tol=1e-4) if is_close else candidate == prediction:
            return True
    return False


def _round_one_decimal(text: str) -> float | None:
    """CFT's `round_to_two_decimals`, which rounds to one decimal place."""
    try:
        return round(float(text.replace(",", "").replace("\\", "")), 1)
    except ValueError:
        return None


def _braces_to_pmatrix(text: str) -> str:
    """The toolkit's `str_to_pmatrix`: `{1,2}` -> a pmatrix (its commas become one backslash, as
    there). `re.findall(r"\\{.*,.*\\}")` finds at most one span per line: from the first `{` to the
    last `}`, when a comma lies between; found here without its backtracking."""
    matrices = []
    for line in text.strip().split("\n"):
        start, end = line.find("{"), line.rfind("}")
        comma = line.find(",", start + 1) if start != -1 else -1
        if start != -1 and comma != -1 and end > comma:
            inner = line[start : end + 1].strip("{}")
            matrices.append("\\begin{pmatrix}" + inner.replace(",", "\\") + "\\end{pmatrix}")
    return ", ".join(matrices)


def _same_without_brackets(pred: str, ref: str) -> bool:
    """Equal once brackets go: outer ones when pred is bracketed and ref not the other way, then all
    braces and parentheses."""
    if (pred.startswith("[") and pred.endswith("]") and not ref.startswith("(")) or (
        pred.startswith("(") and pred.endswith(")") and not ref.startswith("[")
    ):
        pred, ref = pred.strip("[]()"), ref.strip("[]()")
    table = str.maketrans("", "", "{}()")
    return pred.translate(table).lower() == ref.translate(table).lower()


def _is_matrix(text: str) -> bool:
    return text.startswith(_MATRIX_BEGIN) and text.endswith(_MATRIX_END)


def _matrices_equal(pred: str, ref: str, include_percentage: bool, is_close: bool) -> bool:
    def rows(text: str) -> list[str]:
        inner = text[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
        return [row.strip() for row in inner.split("\\\\") if row.strip()]

    pred_rows, ref_rows = rows(pred), rows(ref)
    if len(pred_rows) != len(ref_rows):
        return False
    for pred_row, ref_row in zip(pred_rows, ref_rows, strict=True):
        pred_cells, ref_cells = pred_row.split("&"), ref_row.split("&")
        if len(pred_cells) != len(ref_cells) or not all(
            math_equal(p, r, include_percentage, is_close) for p, r in zip(pred_cells, ref_cells, strict=True)
        ):
            return False
    return True


def _equations_equal(pred: str, ref: str, include_percentage: bool, is_close: bool) -> bool:
    """`a = b` vs `c = d` symbolically (either sign); `x = 5` vs `5` and back (a name of <= 2 chars)."""
    if pred.count("=") == 1 and ref.count("=") == 1:
        left, right = pred.split("=")
        pred_zero = f"{left.strip()} - ({right.strip()})"
        left, right = ref.split("=")
        ref_zero = f"{left.strip()} - ({right.strip()})"
        return symbolic_equal(pred_zero, ref_zero) or symbolic_equal(f"-({pred_zero})", ref_zero)
    if pred.count("=") == 1 and len(pred.split("=")[0].strip()) <= 2 and "=" not in ref:
        return math_equal(pred.split("=")[1], ref, include_percentage, is_close)
    if ref.count("=") == 1 and len(ref.split("=")[0].strip()) <= 2 and "=" not in pred:
        return math_equal(pred, ref.split("=")[1], include_percentage, is_close)
    return False


def _power_of_ten(base: float, exponent: str) -> float | None:
    """base * 10**exponent as the toolkit computes it (float times int); None past float range."""
    if len(exponent.lstrip("+-")) > _MAX_EXPONENT_DIGITS:
        return None
    try:
        value = base * (10 ** int(exponent))
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def _scientific_number(text: str) -> Any:
    """CFT's `convert_to_number`: `3e8` or `3\\times10^{8}` -> a number (int when whole); else the text."""
    if "e" in text.lower().replace("times", ""):
        try:
            value = float(text)
        except ValueError:
            return text
        if not math.isfinite(value):
            return text
        return int(value) if value.is_integer() else value
    match = _TIMES_TEN.search(text)
    scaled = _power_of_ten(float(match.group(1)), match.group(2)) if match else None
    if scaled is None:
        return text
    return int(scaled) if scaled.is_integer() else scaled


def _written_out(text: str) -> str:
    """CFT's `convert_to_decimal`: `1e-3` -> "0.001"; any text holding `10^{n}` -> 10**n written out.

    (Its third rule, for `a\\times10^{n}`, can never run: such text holds an "e" and took the first.)
    """
    if "e" in text.lower():
        try:
            value = float(text)
        except ValueError:
            return text
        return format(value, "f").rstrip("0").rstrip(".") if math.isfinite(value) else text
    match = _POWER_OF_TEN.search(text)
    power = _power_of_ten(1.0, match.group(1)) if match else None
    return text if power is None else format(power, "f").rstrip("0").rstrip(".")


def _times_ten_as_e(text: str) -> str:
    """CFT's `clean_math_func_1`: commas dropped, `3\\times10^{8}\\` -> `3.0e8`."""

    def as_e(match: re.Match) -> str:
        if len(match.group(2).lstrip("+-")) > _MAX_EXPONENT_DIGITS:
            return match.group()
        return f"{float(match.group(1))}e{int(match.group(2))}"

    return _TIMES_TEN_SLASH.sub(as_e, text.replace(",", ""))


def _equal_to_significant_digits(text1: str, text2: str, tolerance: float = 1e-10) -> bool:
    """CFT's `is_numbers_equal_post`: equal within half a unit of the shorter side's last significant digit."""

    def value(text: str) -> float:
        return float(text) if "e" in text.lower() else float(text.replace("\\", "").replace(",", ""))

    def significant_digits(text: str) -> int:
        text = text.lower()
        if "e" in text:
            text = f"{float(text):f}"
        return sum(c.isdigit() for c in text.rstrip("0").rstrip("."))

    try:
        num1, num2 = value(text1), value(text2)
        digits = min(significant_digits(text1), significant_digits(text2))
    except ValueError:
        return False
    if not (math.isfinite(num1) and math.isfinite(num2)):
        return False
    scale = max(abs(num1), abs(num2))
    if scale == 0:
        return abs(num1 - num2) < tolerance
    return abs(num1 - num2) / scale <= 0.5 * 10.0 ** (-(digits - 1))


def symbolic_equal(a: str, b: str) -> bool:
    """The toolkit's `symbolic_equal`: parse both with sympy and compare them four ways."""
    import sympy

    left, right = _parse(a), _parse(b)
    checks = (
        lambda: str(left) == str(right) or left == right,
        lambda: left.equals(right) or sympy.simplify(left - right) == 0,
        lambda: abs(left.lhs - left.rhs).equals(abs(right.lhs - right.rhs)),
        lambda: math.isclose(float(sympy.N(right)), float(sympy.N(left)), rel_tol=1e-4),
        lambda: (
            left.shape == right.shape
            and left.applyfunc(lambda x: round(x, 3)).equals(right.applyfunc(lambda x: round(x, 3)))
        ),
    )
    for check in checks:
        try:
            if check():
                return True
        except Exception:  # the toolkit tries each comparison and moves on when sympy raises
            continue
    return False


def _parse(text: str) -> Any:
    """A sympy expression, or the text itself when no parser reads it (as the toolkit's `_parse`)."""
    if not affordable_to_parse(text):
        return text
    from latex2sympy2_extended import latex2sympy

    for candidate in dict.fromkeys((text.replace("\\\\", "\\"), text)):
        try:
            return latex2sympy(candidate)
        except Exception:  # malformed LaTeX: try the other form, then keep the text
            continue
    return text
