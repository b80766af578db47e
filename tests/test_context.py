"""Request attributes from plain facts: device classes (remembered within bounds)."""

from swerve_edge import context
from swerve_edge.outcomes import HEALTH_ALL_PAGES, HEALTH_SAMPLE, health_checked

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
TABLET = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def test_device_classes_are_the_same_the_second_time() -> None:
    context._classes.clear()
    cases = {CHROME: "desktop", IPHONE: "mobile", TABLET: "tablet", "Googlebot/2.1": "bot", "": "bot"}
    for _ in range(2):
        assert {ua: context.device_class(ua) for ua in cases} == cases


def test_remembered_classes_stay_bounded_whatever_visitors_send() -> None:
    context._classes.clear()
    for i in range(context.MAX_REMEMBERED * 2 + 7):
        assert context.device_class(f"{CHROME} build/{i}") == "desktop"
        assert len(context._classes) <= context.MAX_REMEMBERED
    long = IPHONE + " x" * context.MAX_REMEMBERED_LENGTH
    assert context.device_class(long) == "mobile"
    assert long not in context._classes


def test_selector_health_checks_every_early_page_then_a_sample() -> None:
    checked = [page for page in range(1, 1001) if health_checked(page)]
    assert checked[:HEALTH_ALL_PAGES] == list(range(1, HEALTH_ALL_PAGES + 1))
    later = checked[HEALTH_ALL_PAGES:]
    assert later and all(page % HEALTH_SAMPLE == 0 for page in later)
    assert len(later) == 1000 // HEALTH_SAMPLE - HEALTH_ALL_PAGES // HEALTH_SAMPLE
