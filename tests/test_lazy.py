"""The analytics packages import their names on first use (`adops.lazy`) with the same namespace as before."""

import subprocess
import sys
import textwrap

import pytest

import adops.experiments
import adops.forecast
import adops.optimize


@pytest.mark.parametrize(
    "package", [adops.experiments, adops.forecast, adops.optimize], ids=lambda p: p.__name__
)
def test_every_public_name_resolves(package: object) -> None:
    names: list[str] = package.__all__  # type: ignore[attr-defined]
    assert all(getattr(package, name) is not None for name in names)
    assert set(names) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # type: ignore[attr-defined]  # noqa: B018


def test_a_function_named_like_its_module_stays_the_function() -> None:
    """`power` and `recommend` are functions of the package also when their module was imported first
    (in a fresh process: the import order is the point)."""
    code = textwrap.dedent(
        """
        import types
        import adops.experiments.power, adops.optimize.recommend
        from adops.experiments import power, results
        from adops.optimize import recommend
        from adops.forecast import metrics
        assert callable(power) and not isinstance(power, types.ModuleType), power
        assert callable(recommend) and not isinstance(recommend, types.ModuleType), recommend
        assert isinstance(results, types.ModuleType) and isinstance(metrics, types.ModuleType)
        assert adops.experiments.power is power and power.__module__ == "adops.experiments.power"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
