"""Fixtures of the scorer's model tests."""
from __future__ import annotations

import pytest

from movierec.artifact import load_artifact
from services.scorer.model import HybridModel
from testing.artifacts import build_graph_artifact


@pytest.fixture(scope="module")
def graph_model(tmp_path_factory) -> HybridModel:
    """The model of a small artifact with an item graph (testing.artifacts.build_graph_artifact)."""
    return HybridModel(load_artifact(build_graph_artifact(tmp_path_factory.mktemp("graph"))))
