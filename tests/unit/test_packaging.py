"""The package installs as one `transparency_portal`, with every folder of the tree in it."""

from __future__ import annotations

import importlib.util
import json
import tomllib
from pathlib import Path

import pytest

import transparency_portal

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = ["domain", "storage", "workflows", "resolvers", "schema"]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        "transparency_portal." + ".".join(p.parent.relative_to(ROOT).parts)
        for p in ROOT.glob("*/**/__init__.py")
        if not {".venv", "build", "tests"} & set(p.relative_to(ROOT).parts)
    }
    assert on_disk <= listed, on_disk - listed


def test_no_bare_top_level_names_are_importable():
    # `import domain` working would mean tests run against the tree, not the installed package.
    for name in SUBPACKAGES:
        assert importlib.util.find_spec(name) is None, name
    assert all(importlib.util.find_spec(f"transparency_portal.{n}") for n in SUBPACKAGES)


def test_domain_imports_no_framework():
    for path in (Path(transparency_portal.__file__).parent / "domain").glob("*.py"):
        source = path.read_text()
        for framework in ("strawberry", "sqlmodel", "sqlalchemy", "starlette"):
            assert f"import {framework}" not in source and f"from {framework}" not in source, (path, framework)


def test_the_shipped_export_schema_is_the_shared_contract():
    shared = ROOT.parent / "shared" / "import-format" / "assessment-export.schema.json"
    if not shared.exists():
        pytest.skip(f"no shared contract to compare with: {shared} is missing (a clone without ../shared/)")
    shipped = Path(transparency_portal.__file__).parent / "workflows" / "assessment_export.schema.json"
    assert json.loads(shipped.read_text()) == json.loads(shared.read_text())
