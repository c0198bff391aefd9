"""Answer extraction and normalisation as the Qwen2.5-Math evaluation toolkit does them
(`evaluation/parser.py`: `extract_answer`, `strip_string`), which the CFT paper's official repo
uses unchanged (`tools/evaluate_math/parser.py`).

Written from the toolkit's rules, not copied. Where the toolkit's regex costs quadratic time on
long input (`(\\d+)\\.0*`, `\\\\text{.*?}$`), the same rule is written as a linear scan. Departures:
- `strip_string` always removes unit words: the toolkit skips that for Minerva-Math, but a grader
  does not know which benchmark an answer belongs to.
- Number words ("five") become digits only when the whole answer is number words; the toolkit's
  `word2number` also reads "five apples" as 5 (and is not a dependency here). Digit strings lose
  their leading zeros (`025` -> `25`) as there.
- A dollar amount (`\\$5`, `\\\\$5.00`, `5 dollars`) is reduced to its number before normalising
  (`plain_amount`): the toolkit leaves a stray backslash or the word "dollars" behind.
- An answer that only unit words make up (`\\text{east}`) keeps them (`normalize`), where the
  toolkit reduces it to "" and so matches it with any other such answer, or with none.
"""

from __future__ import annotations

import re

from cft_lib.eval.extraction import matched_braces, minerva_answer, plain_amount

# Units the toolkit removes (mostly from MathQA), in its order; each is used as a regex, as the
# toolkit does, so "q ." matches "q " and any character. Every entry also appears with an "s".
_UNITS = [
    "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .", "monkey",
    "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain",
    "ab", "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "a", "h", "no change",
    "men", "soldier", "pie", "bc", "excess", "st", "inches", "noon", "percent", "by", "gal", "kmh", "c",
    "acre", "rise", "a . m", "th", "π r 2", "sq", "mark", "l", "toy", "coin", "sq . m", "gallon", "° f",
    "profit", "minw", "yr", "women", "feet", "am", "pm", "hr", "cu cm", "square", "v â € ™", "are", "rupee",
    "rounds", "cubic", "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour", "minute", "min", "second",
    "man", "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare", "more", "sec", "unit",
    "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter", "loss",
    "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre", "pi sq m", "s .",
    "metre", "meter", "inch",
]  # fmt: skip
_UNITS += [unit + "s" for unit in _UNITS]
# (literal text every match must contain, pattern): the literal skips most patterns in one `in` test
_UNIT_PATTERNS = [(unit.split(".")[0], re.compile(r"(^|\W)" + unit + r"($|\W)")) for unit in _UNITS]

_VARIABLE_PREFIXES = ("x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to")
_TRAILING_ZEROS = re.compile(r"(?<!\d)(\d+)\.0*([^\d])")  # 5.00x -> 5x; (?<!\d): one try per digit run
_TRAILING_ZEROS_END = re.compile(r"(?<!\d)(\d+)\.0*$")
_SQRT_ARGUMENT = re.compile(r"\\sqrt(\w+)")
_LINE_BREAKS = re.compile(r"\n\s*")
_LAST_NUMBER = re.compile(r"-?\d*\.?\d+")
_CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def extract_qwen_answer(text: str) -> str | None:
    """The toolkit's `extract_answer` for a math benchmark, normalised; None when it finds nothing.

    Order: Minerva's 'final answer is $X$. I hope' sentence; else the text after the last "boxed"
    (to its closing brace, or to the end when it never closes); else everything after the last
    "he answer is", then "final answer is"; else the last number.
    """
    text = text.replace("\u043a\u0438", "")  # "ки", a step marker of some reward-model data
    answer = minerva_answer(text)
    if answer is None and "boxed" in text:
        tail = text[text.rfind("boxed") + len("boxed") :]
        if not tail:
            return None
        answer = _brace_content(tail) if tail[0] == "{" else tail.split("$", 1)[0].strip()
    elif answer is None and "he answer is" in text:
        answer = text[text.rfind("he answer is") + len("he answer is") :].strip()
    elif answer is None and "final answer is" in text:
        answer = text[text.rfind("final answer is") + len("final answer is") :].strip()
    elif answer is None and "答案是" in text:
        answer = text.split("答案是")[1].strip().split("\n\n")[0].strip()
    elif answer is None:
        numbers = _LAST_NUMBER.findall(text.replace(",", ""))
        answer = numbers[-1] if numbers else ""
    answer = _LINE_BREAKS.sub("", answer)
    answer = answer[1:] if answer.startswith(":") else answer
    answer = answer[:-1] if answer.endswith(".") else answer
    answer = answer[:-1] if answer.endswith("/") else answer
    return normalize(answer) or None


def _brace_content(tail: str) -> str:
    """What the brace opening `tail` encloses; the rest of `tail` when it never closes."""
    close = matched_braces(tail).get(0)
    return tail[1:] if close is None else tail[1:close]


def normalize(answer: str) -> str:
    """`strip_string`, keeping the unit words when removing them would leave nothing.

    The toolkit's unit list holds words that are answers too (`\\text{east}`): it erases such an
    answer, and then grades any output, even an empty one, equal to such a gold (both "").
    """
    return strip_string(answer) or strip_string(answer, skip_unit=True)


def strip_string(string: str, skip_unit: bool = False) -> str:
    """The toolkit's `strip_string`: rewrite an answer into a canonical string, rule by rule."""
    string = plain_amount(str(string)).strip().replace("\n", "").rstrip(".")
    string = string.replace("\\!", "")
    string = _replace_spans(string, "\\begin{array}{", "}", lambda _: "\\begin{pmatrix}")
    string = string.replace("\\end{array}", "\\end{pmatrix}").replace("bmatrix", "pmatrix")
    string = string.replace("tfrac", "frac").replace("dfrac", "frac")
    string = string.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    string = string.replace("\\left", "").replace("\\right", "").replace("\\{", "{").replace("\\}", "}")
    string = _drop_trailing_text(string)  # a unit: "5 \text{ cm}" -> "5"
    if not skip_unit:
        for _ in range(2):
            for literal, pattern in _UNIT_PATTERNS:
                if literal in string and (dropped := pattern.sub(r"\1\2", string)):
                    string = dropped
    string = string.replace("^{\\circ}", "").replace("^\\circ", "")
    string = string.replace("\\$", "").replace("$", "").replace("\\(", "").replace("\\)", "")
    string = _word_number(string)
    string = _replace_spans(string, "\\text{", "}", lambda inner: inner)
    for prefix in _VARIABLE_PREFIXES:
        string = string.replace(prefix, "")
    string = string.replace("\\emptyset", "{}").replace("(-\\infty,\\infty)", "\\mathbb{R}")
    string = string.replace("\\%", "").replace("%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    # (the toolkit also unwraps "{5}"-style answers here, under a test that can never pass)
    string = string.replace("infinity", "\\infty")
    if "\\infty" not in string:
        string = string.replace("inf", "\\infty")
    string = string.replace("+\\inity", "\\infty")
    string = string.replace("and", "").replace("\\mathbf", "")
    string = _replace_spans(string, "\\mbox{", "}", lambda _: "")
    if "j" in string and "i" not in string:
        string = string.replace("j", "i")
    string = _TRAILING_ZEROS.sub(r"\1\2", string)
    string = _TRAILING_ZEROS_END.sub(r"\1", string)
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    sides = string.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:  # "k = 5" -> " 5"
        string = sides[1]
    string = _SQRT_ARGUMENT.sub(r"\\sqrt{\1}", string).replace(" ", "")
    return _fix_a_slash_b(_fix_fracs(string))


def _replace_spans(string: str, opening: str, closing: str, replace) -> str:
    """Each `opening...closing` (shortest, left to right) -> replace(inner): `re.sub(opening(.*?)closing)`
    on one line, in linear time (once no `closing` follows, no later `opening` can match either)."""
    parts, position = [], 0
    while (start := string.find(opening, position)) != -1:
        end = string.find(closing, start + len(opening))
        if end == -1:
            break
        parts += [string[position:start], replace(string[start + len(opening) : end])]
        position = end + len(closing)
    return "".join(parts) + string[position:] if parts else string


def _drop_trailing_text(string: str) -> str:
    """`re.sub(r"\\\\text{.*?}$", "", s).strip()`, kept unless empty: cut at the first `\\text{` when
    the answer ends in `}`."""
    start = string.find("\\text{")
    ends_in_text = start != -1 and string.endswith("}") and len(string) - 1 >= start + len("\\text{")
    return (string[:start] if ends_in_text else string).strip() or string


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_NUMBER_WORDS = {w: i for i, w in enumerate(_ONES.split() + ["seventeen", "eighteen", "nineteen"])}
_NUMBER_WORDS |= {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}


def _word_number(string: str) -> str:
    """`twenty one` -> `21` when every word is a number word, `025` -> `25`; anything else as given."""
    lowered = string.replace("-", " ").lower()
    if lowered.isdigit():  # word2number reads a digit string with int()
        if _ASCII_DIGITS.fullmatch(lowered):
            return lowered.lstrip("0") or "0"
        try:
            return str(int(lowered))
        except ValueError:  # a digit that int() refuses ("²")
            return string
    words = lowered.split()
    if not words or len(words) > 12 or any(w not in _NUMBER_WORDS and w not in _SCALES for w in words):
        return string
    total, current = 0, 0
    for word in words:
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total, current = total + max(current, 1) * _SCALES[word], 0
    return str(total + current)


def _fix_fracs(string: str) -> str:
    """`\\frac12` -> `\\frac{1}{2}`, `\\frac1{72}` -> `\\frac{1}{72}`; unchanged if a `\\frac` has < 2 characters."""
    pieces = string.split("\\frac")
    out = [pieces[0]]
    for piece in pieces[1:]:
        if piece.startswith("{"):
            out.append(piece)
        elif len(piece) < 2:
            return string
        elif piece[1] == "{":
            out.append("{" + piece[0] + "}" + piece[1:])
        else:
            out.append("{" + piece[0] + "}{" + piece[1] + "}" + piece[2:])
    return "\\frac".join(out)


def _fix_a_slash_b(string: str) -> str:
    """`3/4` -> `\\frac{3}{4}` when both sides are integers written plainly (or contain "sqrt")."""
    sides = string.split("/")
    if len(sides) != 2:
        return string
    if all("sqrt" in side or _CANONICAL_INT.fullmatch(side) and side != "-0" for side in sides):
        return "\\frac{" + sides[0] + "}{" + sides[1] + "}"
    return string
