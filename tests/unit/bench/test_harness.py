"""The pure parts of the benchmark harness: percentiles, summaries, the docs sections."""

import math
import random

import numpy as np
import pytest

from bench.load import Result, percentile
from bench.markdown import replace_section, table
from bench.run import label, parse


@pytest.mark.parametrize("q", [0, 5, 25, 50, 90, 95, 99, 100])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_percentile_matches_numpy_linear(n: int, q: float) -> None:
    rng = random.Random(n * 7)
    values = [rng.expovariate(1 / 40) for _ in range(n)]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-9)


def test_percentile_hand_checked() -> None:
    # ranks 0..4 of [10, 20, 30, 40, 50]: p95 sits at rank 3.8 → 40 + 0.8 × 10
    assert percentile([50, 10, 40, 20, 30], 95) == pytest.approx(48.0)
    assert percentile([50, 10, 40, 20, 30], 50) == 30
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_summary_reports_throughput_and_milliseconds() -> None:
    result = Result("page", users=2, elapsed=4.0, latencies=[0.010, 0.020, 0.030, 0.040])
    result.http_requests, result.errors = 8, ["GET /x: 500"]
    summary = result.summary()
    assert summary["throughput"] == 1.0  # 4 successful in 4 s
    assert summary["http_per_s"] == 2.0
    assert summary["p50_ms"] == 25.0
    assert summary["p95_ms"] == 38.5
    assert summary["max_ms"] == 40.0
    assert summary["errors"] == 1


def test_section_is_appended_then_replaced_keeping_hand_written_text() -> None:
    text = "# Benchmarks\n\nHand-written intro.\n"
    once = replace_section(text, "results", "| a |\n|---|\n| 1 |")
    assert once.startswith("# Benchmarks\n\nHand-written intro.\n\n<!-- bench:results:begin -->")
    twice = replace_section(once + "\n## Verdict\n\nKeep me.\n", "results", "new figures")
    assert "| 1 |" not in twice
    assert "new figures" in twice
    assert twice.count("<!-- bench:results:begin -->") == 1
    assert "Hand-written intro." in twice
    assert twice.rstrip().endswith("Keep me.")


def test_sections_are_independent() -> None:
    text = replace_section(replace_section("", "a", "first"), "b", "second")
    text = replace_section(text, "a", "changed")
    assert "changed" in text
    assert "second" in text
    assert "first" not in text


@pytest.mark.parametrize(
    "broken",
    [
        "<!-- bench:results:end -->\n<!-- bench:results:begin -->",
        "<!-- bench:results:begin -->\nno end",
        "<!-- bench:results:begin --><!-- bench:results:end --><!-- bench:results:begin -->",
    ],
)
def test_broken_markers_are_refused_not_guessed(broken: str) -> None:
    with pytest.raises(ValueError, match="results"):
        replace_section(broken, "results", "x")


def test_table_and_labels() -> None:
    assert table(["n", "page"], [[1, "x"]], "rl") == "| n | page |\n|---:|---|\n| 1 | x |"
    assert [label(n) for n in (77, 100, 10_000, 100_000, 1500)] == [
        "77",
        "100",
        "10k",
        "100k",
        "1500",
    ]


def test_sizes_come_from_the_command_line_or_bench_size(monkeypatch) -> None:
    monkeypatch.setenv("BENCH_SIZE", "10000")
    args = parse([])
    assert args.sizes == [10_000]
    assert args.release_size == 10_000
    args = parse(["--sizes", "100,100000", "--release-size", "0"])
    assert args.sizes == [100, 100_000]
    assert args.load_sizes == [100, 100_000]
    assert args.release_size == 0


def test_goals_give_a_verdict_per_goal_with_the_distance() -> None:
    """`make bench` writes a verdict per goal of issue 20 from the run's own figures."""
    from bench.run import goals

    load = [
        {"action": "trivial page", "users": 20, "throughput": 40.0, "p95_ms": 400.0},
        {"action": "SF-36 save", "users": 20, "throughput": 10.0, "p95_ms": 500.0},
    ]
    release = {
        "job": {"wall_s": 240.0, "worker_peak_rss_mib": 900.0, "two_processes": {"wall_s": 200.0}},
        "phases": {"sql_csv_extraction_s": 30.0, "copy_s": 20.0},
    }
    dashboard = {
        "participants": 100_000,
        "rows": [
            {"user": "", "filter": "refresh, 100 changed", "median": 1500.0},
            {"user": "unblinded", "filter": "dated", "median": 250.0},
        ],
    }
    results = {
        "sizes": [{"size": 100_000, "load": load, "release": release, "dashboard": dashboard}],
        "report_job": {
            "results": [
                {
                    "size": 100_000,
                    "ratio": 1.5,
                    "job": {"seconds": 3.0},
                    "in_memory": {"seconds": 2.0},
                }
            ]
        },  # fmt: skip
    }
    verdicts = {row[0].split(" (")[0]: row[2] for row in goals(results)}
    assert verdicts == {
        "saves/s ≥ 50 % of trivial pages/s, 20 users": "not met (2.0× off)",
        "save p95 ≤ 1.5× trivial p95, 20 users": "**met**",
        "release < 120 s at 100,000": "not met (2.0× off)",
        "release worker peak < 1 GiB at 100,000": "**met**",
        "CSV extraction ≤ 2× COPY": "**met**",
        "report job ≤ 2× in-memory statistics": "**met**",
        "date-filtered dashboard < 300 ms": "**met**",
        "summary refresh < 1 s": "not met (1.5× off)",
    }
