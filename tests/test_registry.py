"""Registries: lazy entries are listed without being imported, and imported once on first use."""

import sys

import pytest

from cft_lib.errors import ConfigError
from cft_lib.registry import Registry


def test_a_lazy_entry_is_listed_unimported_and_loaded_on_first_get(tmp_path, monkeypatch):
    (tmp_path / "cft_lazy_probe.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cft_lazy_probe", raising=False)
    things: Registry[type] = Registry("thing")
    things.add("eager", int)
    things.add_lazy("lazy", "cft_lazy_probe:Thing")
    assert things.names() == ["eager", "lazy"] and list(things) == ["eager", "lazy"]
    assert "lazy" in things and "cft_lazy_probe" not in sys.modules
    loaded = things.get("lazy")
    assert loaded.__name__ == "Thing" and "cft_lazy_probe" in sys.modules
    assert things.get("lazy") is loaded and things.names() == ["eager", "lazy"]


def test_lazy_names_take_part_in_lookup_errors_and_duplicate_checks():
    things: Registry[type] = Registry("thing")
    things.add_lazy("oracle", "cft_lazy_never:Oracle")
    with pytest.raises(ConfigError, match="Did you mean 'oracle'"):
        things.get("oracel")
    with pytest.raises(ValueError, match="registered twice"):
        things.add("oracle", int)
    with pytest.raises(ValueError, match="module.path:attr"):
        things.add_lazy("other", "no_colon_here")
    with pytest.raises(ModuleNotFoundError):
        things.get("oracle")  # a lazy entry whose module is missing fails loudly, and stays listed
    assert "oracle" in things
