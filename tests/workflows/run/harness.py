#!/usr/bin/env python3
"""Execute the entry workflows with act on a temporary copy of the repository and check what they did.

    python tests/workflows/run/harness.py [SCENARIO ...] [--no-broken] [--keep]

Each scenario (scenario_*.py beside this file) sets up a fake GitHub state (lib/fakegithub.py under
tests/standins), runs one entry workflow with act (jobs on this machine, two at a time), then asserts outcomes:
comments, artifacts, summaries, registry tags. Its broken variant runs the same scenario on a copy with one
deliberate defect and must fail, so a harness that cannot fail is caught too. Third-party actions are the stand-ins
under tests/standins (one per pinned action, mapped with --local-repository); Docker and the registry on
127.0.0.1:5000 are the real ones. A scenario whose setup, files or artifacts are missing fails with a line naming
them, never a traceback.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import scenario_drift
import scenario_fork
import scenario_pr_same
import scenario_push_main
import scenario_release
from core import STEP_FAILED, Broken, Checks, ScenarioError, local_repositories, say

Scenario = Callable[[Path, Broken | None], Checks]

# In the order they run by default: release reuses the image push-main pushed, and each broken variant follows
# its scenario (fork's reuses the bundle of the fork PR run).
SCENARIOS: dict[str, tuple[Scenario, Broken]] = {
    "pr-same": (scenario_pr_same.run, scenario_pr_same.BROKEN),
    "fork": (scenario_fork.run, scenario_fork.BROKEN),
    "push-main": (scenario_push_main.run, scenario_push_main.BROKEN),
    "release": (scenario_release.run, scenario_release.BROKEN),
    "drift": (scenario_drift.run, scenario_drift.BROKEN),
}


@dataclass
class Outcome:
    name: str
    seconds: float
    failures: list[str] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)


def broken_as_it_must(outcome: Outcome, broken: Broken) -> str | None:
    """None when the broken variant failed where its defect bites, else why it did not."""
    if broken.missing:
        if any(broken.missing in failure for failure in outcome.failures):
            return None
        return f"no failure saying {broken.missing!r}: {outcome.failures or 'none'}"
    failed = sorted(job for job, result in outcome.jobs.items() if result == "failed")
    if not failed:
        return "no executed job failed" + (f" ({outcome.failures[0]})" if outcome.failures else "")
    elsewhere = [job for job in failed if not job.startswith(broken.bites)]
    if elsewhere:
        return f"failed elsewhere than {broken.bites!r}: {', '.join(elsewhere)}"
    return None


def harness_error(exc: Exception) -> str:
    """One line for an exception the scenario did not expect: what, and where in the harness."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"harness error: {exc.__class__.__name__}: {exc}{where}"


def failed_steps(work: Path) -> list[str]:
    """The steps act reported failed, from every log of a scenario's copy (the first place to look)."""
    found: list[str] = []
    for log in sorted(work.glob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        found += [f"{log.name}: [{m.group(1)}] {m.group(2).strip()}" for m in STEP_FAILED.finditer(text)]
    return found


def run_one(name: str, scenario: Scenario, broken: Broken | None, keep: bool) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix=f"mlci-wfrun-{name}-"))
    start = time.monotonic()
    check = Checks()
    try:
        check = scenario(work, broken)
    except ScenarioError as exc:
        check.failures.append(f"setup: {exc}")
    except Exception as exc:  # a harness bug fails this scenario in one line; the others still run
        check.failures.append(harness_error(exc))
    outcome = Outcome(name, time.monotonic() - start, check.failures, check.jobs)
    if check.failures and broken is None:
        for step in failed_steps(work):
            say(f"{name}: failed step {step}")
    if (check.failures and broken is None) or keep:
        say(f"{name}: logs in {work}" if keep else f"{name}: rerun with --keep for the logs")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help=f"any of {', '.join(SCENARIOS)}")
    parser.add_argument("--no-broken", action="store_true", help="skip the broken variants")
    parser.add_argument("--only-broken", action="store_true", help="run only the broken variants")
    parser.add_argument(
        "--no-broken-for", action="append", default=[], metavar="SCENARIO", help="skip this scenario's broken variant"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and logs")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    local_repositories()  # every pinned action has a stand-in, before anything runs
    results: list[tuple[str, bool, Outcome]] = []
    for name in args.scenarios:
        scenario, broken = SCENARIOS[name]
        if not args.only_broken:
            say(f"{name}: running")
            outcome = run_one(name, scenario, None, args.keep)
            results.append((name, not outcome.failures, outcome))
            for failure in outcome.failures:
                say(f"{name}: FAILED: {failure}")
        if not args.no_broken and name not in args.no_broken_for:
            bite = f"job {broken.bites!r} must fail" if broken.bites else f"it must find {broken.missing!r}"
            scope = f" (only {broken.only!r} and the jobs it needs run)" if broken.only else ""
            say(f"{name} (broken: {broken.why}): running; {bite}{scope}")
            variant = run_one(f"{name}-broken", scenario, broken, args.keep)
            wrong = broken_as_it_must(variant, broken)
            results.append((f"{name} broken", wrong is None, variant))
            if wrong is None:
                say(f"{name} broken: failed as it must ({broken.bites or broken.missing})")
            else:
                say(f"{name} broken: did not fail as it must: {wrong}; jobs: {variant.jobs}")
                for failure in variant.failures:
                    say(f"{name} broken: found: {failure}")
    say("summary:")
    for label, ok, outcome in results:
        say(f"  {'ok  ' if ok else 'FAIL'} {label:<24} {outcome.seconds:6.0f} s")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
