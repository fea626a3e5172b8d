"""Read the run's exports with the tools teams use: Allure 3 and cucumber-html-reporter.

Installs both from the npm registry (pinned) into a scratch folder outside the repository, then:

1. a green run (``coze-acceptance --alluredir``): Allure's summary must show no failed or broken
   result and as many results as ``cucumber.json`` has scenario runs, under the same names (a
   parity scenario's two runs say their client), and its tree grouped by epic, feature and story
   must hold one group per story; cucumber-html-reporter must count every scenario as passed;
   ``junit.xml`` must name each parity run after its client;
2. a run with a deliberately failing step (a plugin that fails every step of one acceptance
   scenario): both tools must count every scenario of it as failed.

Needs Node.js and npm (``.ci/run`` installs Debian's when missing). Usage:

    uv run python scripts/check_exports.py [--tools DIR]

``--tools`` reuses (or fills) a folder of installed tools instead of a fresh scratch folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLURE = "allure@3.18.0"
CUCUMBER_HTML_REPORTER = "cucumber-html-reporter@7.2.0"
#: The scenario the failing run breaks: one acceptance scenario that runs with both clients.
FAILING_SELECTION = "acceptance:US2-AS1"

#: A pytest plugin that fails every step before its body runs, as a broken step would.
FAILING_PLUGIN = """\
def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    raise AssertionError("deliberately failing step (scripts/check_exports.py)")
"""

#: Generates cucumber-html-reporter's report; its own count of scenarios is in the page's chart.
CUCUMBER_REPORT_JS = """\
const reporter = require("cucumber-html-reporter");
reporter.generate({theme: "bootstrap", jsonFile: process.argv[2], output: process.argv[3],
                   reportSuiteAsScenarios: true, launchReport: false});
"""
#: The scenario counts cucumber-html-reporter writes into its page for the pie chart.
_SCENARIO_CHART = re.compile(r'drawChart\(\{\s*"title": "Scenarios",(.*?)\}\)', re.DOTALL)


def run(command: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> int:
    """Run ``command``, its output going to ours; its exit status."""
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=cwd, env=env, check=False).returncode


def install_tools(folder: Path) -> None:
    """Install the pinned tools into ``folder``; no package.json or lock file is written."""
    if (folder / "node_modules" / ".bin" / "allure").exists():
        return
    command = ["npm", "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", str(folder)]
    if run([*command, ALLURE, CUCUMBER_HTML_REPORTER], cwd=folder) != 0:
        sys.exit("npm install failed")


def acceptance_run(scratch: Path, name: str, args: list[str], env: dict[str, str] | None = None) -> tuple[Path, Path]:
    """``coze-acceptance`` with ``--alluredir``: the Allure results folder and the report folder."""
    allure_results, report = scratch / name / "allure-results", scratch / name / "report"
    report.parent.mkdir(parents=True)
    command = ["uv", "run", "coze-acceptance", "--alluredir", str(allure_results), "--output", str(report), *args]
    run(command, env=env)  # the failing run exits non-zero on purpose; the exports say how it went
    return allure_results, report


def allure_report(tools: Path, allure_results: Path, out: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Allure's own counts of the run, and of each top group of its tree grouped as the Behaviors view.

    ``allure generate`` with the tree grouped by ``epic``, ``feature`` and ``story`` (Allure 3's
    default groups by file); the counts are the report's ``summary.json``, the groups its tree
    widget. A result without an epic would sit at the root, outside every group.
    """
    config = out.parent / "allurerc.json"
    options = {"groupBy": ["epic", "feature", "story"]}
    config.write_text(json.dumps({"output": str(out), "plugins": {"awesome": {"options": options}}}), encoding="utf-8")
    allure = str(tools / "node_modules" / ".bin" / "allure")
    if run([allure, "generate", "--config", str(config), str(allure_results)]) != 0:
        sys.exit("allure generate failed")
    stats: dict[str, int] = json.loads((out / "summary.json").read_text(encoding="utf-8"))["stats"]
    tree = json.loads((out / "widgets" / "tree.json").read_text(encoding="utf-8"))
    groups = {
        tree["groupsById"][g]["name"]: tree["groupsById"][g]["statistic"]["total"] for g in tree["root"]["groups"]
    }
    groups[""] = len(tree["root"].get("leaves", []))
    return stats, groups


def cucumber_report_counts(tools: Path, cucumber_json: Path, out: Path) -> dict[str, int]:
    """cucumber-html-reporter's counts of scenarios, as its report page shows them."""
    script = tools / "cucumber-report.js"
    script.write_text(CUCUMBER_REPORT_JS, encoding="utf-8")
    env = {**os.environ, "NODE_PATH": str(tools / "node_modules")}
    if run(["node", str(script), str(cucumber_json), str(out)], env=env) != 0:
        sys.exit("cucumber-html-reporter failed")
    chart = _SCENARIO_CHART.search(out.read_text(encoding="utf-8"))
    if chart is None:
        sys.exit(f"no scenario counts in {out}")
    counts: dict[str, int] = json.loads("{" + chart.group(1) + "}")
    return counts


def scenario_names(cucumber_json: Path) -> Counter[str]:
    """The name of every scenario run in the Cucumber export."""
    features = json.loads(cucumber_json.read_text(encoding="utf-8"))
    return Counter(element["name"] for feature in features for element in feature["elements"])


def story_ids(cucumber_json: Path) -> set[str]:
    """The stories of the scenario runs in the Cucumber export (its features' ``@story:`` tags)."""
    features = json.loads(cucumber_json.read_text(encoding="utf-8"))
    return {
        tag["name"].split(":", 1)[1]
        for feature in features
        if feature["elements"]
        for tag in feature["tags"]
        if tag["name"].startswith("@story:")
    }


def junit_names_say_the_client(junit_xml: Path) -> bool:
    """Each JUnit case of a parity run ends its name with its client, and no two cases share a name."""
    cases = ET.parse(junit_xml).getroot().iter("testcase")
    named = [
        (case.get("classname"), case.get("name") or "", {p.get("name"): p.get("value") for p in case.iter("property")})
        for case in cases
    ]
    clients = [(name, props["client"]) for _, name, props in named if props.get("client")]
    return (
        bool(clients)
        and all(name.endswith(f"[{client}]") for name, client in clients)
        and len({(c, n) for c, n, _ in named}) == len(named)
    )


def allure_names(allure_results: Path) -> Counter[str]:
    """The name of every test result Allure will read."""
    return Counter(
        json.loads(path.read_text(encoding="utf-8"))["name"] for path in allure_results.glob("*-result.json")
    )


def check(problems: list[str], ok: bool, message: str) -> None:
    """Print ``message`` as a passed or failed check, keeping the failed ones."""
    print(("ok      " if ok else "FAILED  ") + message, flush=True)
    if not ok:
        problems.append(message)


def check_run(tools: Path, allure_results: Path, report: Path, expected: str, problems: list[str]) -> None:
    """Both tools must count every scenario run of the export with the ``expected`` status (passed or failed)."""
    names = scenario_names(report / "cucumber.json")
    total = sum(names.values())
    stats, epics = allure_report(tools, allure_results, allure_results.parent / "allure-report")
    counts = cucumber_report_counts(tools, report / "cucumber.json", allure_results.parent / "cucumber-report.html")
    label = f"{allure_results.parent.name}: "
    check(problems, total > 0, label + f"cucumber.json holds {total} scenario runs")
    check(
        problems,
        allure_names(allure_results) == names,
        label + "Allure's results are cucumber.json's scenario runs, by name",
    )
    check(problems, len(names) == total, label + "every scenario run has its own name (parity runs say their client)")
    others = {key: value for key, value in stats.items() if key not in ("total", expected)}
    check(problems, stats["total"] == total, label + f"Allure counts {stats['total']} results")
    check(
        problems, stats.get(expected) == total and not any(others.values()), label + f"Allure: all {expected}: {stats}"
    )
    others = {key: value for key, value in counts.items() if key != expected}
    check(
        problems,
        counts[expected] == total and not any(others.values()),
        label + f"cucumber-html-reporter: all {expected}: {counts}",
    )
    stories = {name.split(" ", 1)[0] for name in epics if name}
    check(
        problems,
        epics.pop("") == 0 and sum(epics.values()) == total and stories == story_ids(report / "cucumber.json"),
        label + f"Allure's tree by epic, feature and story has one group per story: {sorted(epics)}",
    )
    check(
        problems,
        junit_names_say_the_client(report / "junit.xml"),
        label + "junit.xml names each parity run after its client",
    )


def main() -> int:
    """Install the tools, make both runs, check what the tools say; non-zero on any failed check."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", type=Path, help="folder for the installed tools (default: a scratch folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="check-exports-") as scratch_name:
        scratch = Path(scratch_name)
        tools = (args.tools or scratch / "tools").resolve()
        tools.mkdir(parents=True, exist_ok=True)
        install_tools(tools)
        problems: list[str] = []

        check_run(tools, *acceptance_run(scratch, "green", []), "passed", problems)

        plugins = scratch / "plugins"
        plugins.mkdir()
        (plugins / "deliberately_failing.py").write_text(FAILING_PLUGIN, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))}
        failing = ["--tag", FAILING_SELECTION, "--", "-p", "deliberately_failing"]
        check_run(tools, *acceptance_run(scratch, "failing", failing, env), "failed", problems)

    if problems:
        print(f"\n{len(problems)} export check(s) failed", file=sys.stderr)
        return 1
    print("\nexports: Allure and cucumber-html-reporter read both runs correctly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
