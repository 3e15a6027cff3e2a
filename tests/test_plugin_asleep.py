"""The plugin is invisible to a pytest session that does not run the suite.

zmq-conformance is installed as a pytest plugin (its ``pytest11`` entry
point), so it is loaded into every test session of the environment.  A
project's own tests, run there, must behave as if it were not installed:
no header line of ours, Hypothesis's own default settings (with and
without ``CI``), and no option name taken from another plugin.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ORDINARY_HYPOTHESIS_TEST = """
from hypothesis import given, settings, strategies as st

@given(st.integers())
def test_an_integer(n):
    pass

def test_the_settings():
    print("SETTINGS", settings.get_current_profile_name(), repr(settings()))
"""
WITHOUT_US = ("-p", "no:zmq_conformance")


@pytest.fixture(params=["", "true"], ids=["no-CI", "CI"])
def project(request, pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    """An unrelated project with one ordinary Hypothesis test, with and without ``CI``."""
    if request.param:
        monkeypatch.setenv("CI", request.param)
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_ordinary=ORDINARY_HYPOTHESIS_TEST)
    return pytester


def seen(project: pytest.Pytester, *args: str) -> tuple[list[str], list[str]]:
    """The header (less pytest's list of plugins) and the Hypothesis settings a run shows."""
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-s", "-v", *args)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=2)
    lines = result.stdout.lines
    header = lines[: next(i for i, line in enumerate(lines) if line.startswith("collect"))]
    return (
        [line for line in header if not line.startswith(("plugins:", "====="))],
        [line for line in lines if "SETTINGS" in line],
    )


def test_a_project_of_its_own_sees_nothing_of_ours(project: pytest.Pytester):
    header, settings = seen(project)
    assert not [line for line in header if "zmq" in line]
    assert (header, settings) == seen(project, *WITHOUT_US)
    assert settings, "the project's test printed no settings"


def test_a_plugin_that_owns_our_old_option_names_starts(project: pytest.Pytester):
    project.makeconftest(
        """
def pytest_addoption(parser):
    parser.addoption("--driver", help="another plugin's browser driver")

def pytest_configure(config):
    assert config.getoption("driver") == "firefox"
"""
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--driver", "firefox")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=2)


def test_an_old_option_name_of_ours_names_the_new_one(pytester: pytest.Pytester):
    pytester.makepyfile(test_ordinary="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--driver", "x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == [
        "ERROR: zmq-conformance: --driver is now --zmq-driver "
        "(every option of ours starts with --zmq-)"
    ], result.stderr.str()
