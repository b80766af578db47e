"""Validate's verdict on selectors and attribute names against workerd's own HTMLRewriter.

``tests/html_probe.mjs`` runs a JavaScript Worker in the pinned workerd that tries each
selector with ``rewriter.on()`` and each attribute name with ``setAttribute``. The corpus
is a curated list (``fixtures/selector_corpus.json``: namespaces, escapes, An+B forms,
pseudo-classes, malformed input) and a few thousand selectors generated from pieces with a
fixed seed. Whatever validate accepts, the runtime must accept; whatever the runtime
refuses, validate must refuse. The one deliberate difference: a string, bracket or
parenthesis left open at the end, which cssparser closes and Swerve refuses as a typo.
"""

import http.client
import json
import random
import subprocess
import urllib.parse

import pytest
from conftest import FIXTURES, ROOT

from swerve_edge.css_selectors import selector_problem
from swerve_edge.operations import attribute_name_problem

NAMES = ["a", "div", "h1", "P", "x-y", "é", "\\31 a", "_u", "--v", "-w", "svg", "IMG"]
ATTRIBUTES = ["x", "data-x", "Data-X", "href", "é", "-a", "\\41", "ns|x", "|x", "*|x", "x "]
VALUES = ["v", '"v"', "'v'", '""', "1", "-1", "a b", '"a b"', "--", "-", "\\31", "v i", '"v" s', "v I", "v q"]
OPERATORS = ["=", "~=", "|=", "^=", "$=", "*=", "!=", "= ", " = "]
NTH = ["2n+1", "odd", "EVEN", "n", "-n+3", "+n", "+ n", "2n- 1", "2n -1", "3n+-1", "1.5", "5", "-5", "n-1", " 1 "]
NTH += ["n+", "2 n", "", "n of a", "-n-1", "+5"]
COMBINATORS = [" ", ">", " > ", " + ", "~", "  ", "\t", "\n"]
BREAKERS = [" ", ",", ")", "(", "]", "[", "\\", '"', "/*x*/", ":", "::", "|", "#", "."]


def generated(seed: int, count: int) -> list[str]:
    """Selectors built from valid and invalid pieces, some of them then broken by one insertion."""
    rng = random.Random(seed)

    def simple() -> str:
        kind = rng.randrange(7)
        if kind == 0:
            return rng.choice(NAMES)
        if kind == 1:
            return "#" + rng.choice([*NAMES, "1", "-1", "-"])
        if kind == 2:
            return "." + rng.choice([*NAMES, "1", "-1", "-"])
        if kind == 3:
            name = rng.choice(ATTRIBUTES)
            return f"[{name}]" if rng.random() < 0.3 else f"[{name}{rng.choice(OPERATORS)}{rng.choice(VALUES)}]"
        if kind == 4:
            return ":" + rng.choice(["first-child", "first-of-type", "last-child", "hover", "FIRST-CHILD", ":before"])
        if kind == 5:
            return f":{rng.choice(['nth-child', 'nth-of-type', 'nth-last-child', 'NTH-CHILD'])}({rng.choice(NTH)})"
        return "*"

    def compound() -> str:
        text = "".join(simple() for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            text += f":not({rng.choice([simple(), simple() + simple(), '', ' ' + simple() + ' ', ':not(a)'])})"
        if rng.random() < 0.15:
            text = rng.choice(["*|", "|", "ns|"]) + text
        return text

    found: set[str] = set()
    while len(found) < count:
        complex_ = compound() + "".join(rng.choice(COMBINATORS) + compound() for _ in range(rng.randint(0, 2)))
        text = complex_ if rng.random() < 0.7 else complex_ + ", " + compound()
        if rng.random() < 0.15:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(BREAKERS) + text[at:]
        found.add(text)
    return sorted(found)


@pytest.fixture(scope="module")
def runtime():
    process = subprocess.Popen(
        ["node", str(ROOT / "tests" / "html_probe.mjs")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        pytest.fail("the HTMLRewriter probe did not start: " + process.stderr.read())
    url = urllib.parse.urlsplit(json.loads(line)["url"])

    def ask(path: str, payload: object) -> dict[str, str]:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        conn.request("POST", path, body=json.dumps(payload).encode())
        answer = json.loads(conn.getresponse().read())
        conn.close()
        return answer

    yield ask
    process.stdin.close()
    process.wait(timeout=20)


def test_validate_accepts_exactly_the_selectors_htmlrewriter_accepts(runtime) -> None:
    corpus = sorted(set(json.loads((FIXTURES / "selector_corpus.json").read_text())) | set(generated(11, 2500)))
    verdicts = runtime("/selectors", corpus)
    accepted = [s for s in corpus if verdicts[s] == "ok"]
    assert len(accepted) > 200 and len(corpus) - len(accepted) > 200  # both sides are exercised
    wrongly_accepted = [(s, verdicts[s]) for s in corpus if verdicts[s] != "ok" and selector_problem(s) is None]
    assert not wrongly_accepted
    wrongly_refused = [
        (s, selector_problem(s))
        for s in accepted
        if selector_problem(s) is not None and "is not closed" not in selector_problem(s)
    ]
    assert not wrongly_refused


def test_every_attribute_name_validate_accepts_the_runtime_can_set(runtime) -> None:
    names = ["data-x", "aria-label", "x:y", "_a", "-a", "1a", "a.b", "a&b", "a@b", "A", "data-\u00e9", "\u00fc"]
    names += ["data x", "a=b", "", "a/b", "a>b", 'a"b', "a'b", "a<b", "a\tb", "a\nb", "a\x0cb", "a\x00b", "a\x7fb"]
    verdicts = runtime("/attributes", {"names": names})
    for name in names:
        if attribute_name_problem(name) is None:
            assert verdicts[name] == "ok", name
    refused_by_runtime = [n for n in names if verdicts[n] != "ok"]
    assert refused_by_runtime and all(attribute_name_problem(n) for n in refused_by_runtime)
