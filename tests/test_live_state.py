"""Live state carried across pushes from rule files (``swerve.live_state``)."""

from swerve.live_state import carry_forward, rehashed, rule_state
from swerve_edge.digest import is_intact
from swerve_edge.ruleset import load_ruleset


def test_rehashed_documents_stay_intact_and_load(example_document: dict) -> None:
    state: dict = {}
    rule_state(state, "hero-headline", 1)["weights"] = {"control": 10, "outcome": 90}
    document = rehashed(example_document, state)
    assert is_intact(document) and document["hash"] != example_document["hash"]
    ranges = load_ruleset(document).by_key["hero-headline"].rules[1].ranges
    assert ranges == ((0.0, 0.1), (0.1, 1.0))
    assert rehashed(document, {})["hash"] == example_document["hash"]


def test_a_push_keeps_kills_overrides_and_stops_that_still_apply(example_document: dict) -> None:
    state: dict = {"flags": {"hero-headline": {"killed": True}}}
    rule_state(state, "hero-headline", 1)["weights"] = {"control": 10, "outcome": 90}
    rule_state(state, "pricing-layout", 0)["stopped"] = {"cards": {"reason": "error share 40% > 5%"}}
    rule_state(state, "gone-flag", 0)["weights"] = {"a": 100}
    live = rehashed(example_document, state)
    carried, notes = carry_forward(example_document, live)
    del state["flags"]["gone-flag"]
    assert carried["state"] == state and is_intact(carried)
    assert any("hero-headline: stays killed" in n for n in notes)
    assert any("pricing-layout rule 1: cards stays stopped" in n for n in notes)
    assert any("gone-flag: the flag is gone" in n for n in notes)


def test_state_that_no_longer_fits_the_rules_is_dropped(example_document: dict) -> None:
    state: dict = {}
    rule_state(state, "hero-headline", 0)["weights"] = {"control": 100}  # rule 1 is not a rollout
    rule_state(state, "hero-headline", 1)["weights"] = {"renamed": 100}
    carried, notes = carry_forward(example_document, rehashed(example_document, state))
    assert "state" not in carried and carried["hash"] == example_document["hash"]
    assert len(notes) == 2
