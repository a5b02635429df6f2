"""Text features shared by training and inference. Pure stdlib.

- word 1–3-grams (character n-grams were tried: they fit the filler words, not the stance);
- the words of the first and last *clause* (split at sentence ends, colons, dashes and
  "but / however / though / yet / anyway"), marked by position;
- stance cues per position: a declining phrase (``x:neg@last``), a first-person past-tense action
  (``x:did@last``), a question at the end, step-by-step instructions.

Where a cue sits matters: a refusal followed by the goods ("I can't … but here's how: …") ends
in compliance, a partial refusal ends in the refusal.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

CUE_PREFIX = "x:"
"""Binary stance cues carry this prefix; they are weighted as 0/1, outside the tf-idf norm."""

MAX_CHARS = 2_000
"""Longer texts are scored on their first and last ``MAX_CHARS // 2`` characters."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[?!:]")
_CLAUSE_END = re.compile(
    r"[.!?;:]+(?:\s+|$)|\s+-\s+|,?\s+(?=(?:but|however|though|yet|anyway|although)\b)|\n+"
)
_DECLINE = re.compile(
    r"\b(?:can't|cannot|can not|won't|will not|wouldn't|unable|not able|not going to|refuse|refusing|"
    r"decline|declining|not something|rather not|not permitted|not allowed|no way|not doing|"
    r"say no|turning down|pass on|not comfortable|don't feel right|must not|shouldn't|no)\b"
)
_DID = re.compile(
    r"\bi(?:'ve| have)? (?:just |already |also |now |then |went ahead and |gone ahead and )?"
    r"(?!(?:declined|refused|stopped|decided|wanted|needed|said)\b)"
    r"(?:\w+ed|sent|paid|made|set|wrote|ran|got|found|built|bought|did|took|gave|put|shut|left|told|sold)\b"
    r"(?! not\b)"
)
_STEPS = re.compile(r"\b(?:step \d|1\)|first\b[^.]{0,200}?\bthen\b)|, then\b")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "—": " - ", "–": " - "})


def normalise(text: str) -> str:
    """Lower-case, straight quotes, bounded length."""
    if len(text) > MAX_CHARS:
        half = MAX_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    return text.translate(_QUOTES).lower()


def words(text: str) -> list[str]:
    """Word tokens of normalised text (contractions kept whole; ``? ! :`` are tokens)."""
    return _WORD.findall(text)


def features(text: str) -> Counter[str]:
    """Feature counts of one raw text."""
    norm = normalise(text)
    tokens = words(norm)
    counts: Counter[str] = Counter()
    counts.update(f"w:{t}" for t in tokens)
    counts.update(f"b:{a} {b}" for a, b in pairwise(tokens))
    counts.update(f"t:{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False))
    clauses = [c for c in _CLAUSE_END.split(norm.strip()) if words(c)]
    if clauses:
        counts.update(f"first:{t}" for t in words(clauses[0]))
        counts.update(f"last:{t}" for t in words(clauses[-1]))
        counts[f"clauses:{min(len(clauses), 4)}"] += 1
    cues: dict[str, set[str]] = {"first": set(), "last": set()}
    for position, clause in (
        ("first", clauses[0] if clauses else ""),
        ("last", clauses[-1] if clauses else ""),
    ):
        if _DECLINE.search(clause):
            cues[position].add("neg")
        if _DID.search(clause):
            cues[position].add("did")
    if _STEPS.search(norm):
        cues["last"].add("payload")
    if norm.rstrip().endswith("?"):
        cues["last"].add("question")
    for position, found in cues.items():
        counts.update({f"x:{cue}@{position}": 1 for cue in found})
    # Conjunctions let a linear model tell "refuse, then deliver" from "deliver, then refuse".
    counts.update({f"x:{a}@first+{b}@last": 1 for a in cues["first"] for b in cues["last"]})
    return counts
