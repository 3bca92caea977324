"""A GitHub Actions log made fit for a prompt: no timestamps or colours, the failure kept."""

from __future__ import annotations

from bot.github.joblog import clean, excerpt

LOG = "\n".join(
    [
        "2026-12-01T10:00:00.1234567Z ##[group]Run actions/checkout@v4",
        "2026-12-01T10:00:00.2234567Z Syncing repository",
        "2026-12-01T10:00:00.3234567Z ##[endgroup]",
        *(f"2026-12-01T10:00:01.0000000Z collecting item {n}" for n in range(200)),
        "2026-12-01T10:00:02.0000000Z \x1b[31mFAILED\x1b[0m tests/test_orders.py::test_total",
        "2026-12-01T10:00:02.1000000Z E   assert 3 == 4",
        "2026-12-01T10:00:02.2000000Z ##[error]Process completed with exit code 1.",
    ]
)


def test_timestamps_colours_and_group_markers_go() -> None:
    lines = clean(LOG)
    assert lines[0] == "Run actions/checkout@v4"
    assert "FAILED tests/test_orders.py::test_total" in lines
    assert not any("\x1b" in line or line.startswith("2026-") for line in lines)


def test_the_excerpt_keeps_the_failure_and_drops_the_noise_within_the_budget() -> None:
    text = excerpt(LOG, max_chars=2_000)
    assert "FAILED tests/test_orders.py::test_total" in text
    assert "assert 3 == 4" in text
    assert "collecting item 10\n" not in text  # far from the failure
    assert len(text) <= 2_000


def test_a_log_without_a_failure_line_gives_its_tail() -> None:
    log = "\n".join(f"line {n}" for n in range(100))
    assert excerpt(log, max_chars=5_000).endswith("line 99")
    assert "line 10\n" not in excerpt(log, max_chars=5_000)


def test_one_window_over_the_budget_keeps_its_end() -> None:
    log = "x" * 10_000 + "\nERROR: boom"
    assert excerpt(log, max_chars=100).endswith("ERROR: boom")
