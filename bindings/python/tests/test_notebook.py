"""The example notebooks are committed with their charts and run top to bottom (so they can never
rot)."""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "examples" / "notebooks" / "impact-of-a-threshold-change.ipynb"


def test_the_notebook_runs_top_to_bottom():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert any(
        "image/png" in o.get("data", {}) for cell in committed.cells for o in cell.get("outputs", [])
    ), "the notebook is committed with its charts (./scripts/refresh-notebooks)"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel must be this interpreter (the one earlyhelp is installed in): jupyter_client runs
    # the `python3` kernel with sys.executable; PATH first in this environment for any other.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    client = nbclient.NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if a cell fails
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "of 50,000 families assessed while the programme is in force, evaluated" in text
    assert "Eligible for Supporting Families: yes." in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the charts are drawn"
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("earlyhelp-decision" in h for h in html), "a decision shows as an HTML tree"


SPARK_NOTEBOOK = ROOT / "examples" / "notebooks" / "eligible-share-by-local-authority-on-spark.ipynb"


def test_the_spark_notebook_runs_top_to_bottom():
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("the Spark notebook needs Java (17 or later); none on this machine")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("pyspark")
    committed = nbformat.read(SPARK_NOTEBOOK, as_version=4)
    committed_images = [
        o for cell in committed.cells if cell.cell_type == "code" for o in cell.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert committed_images, "the notebook is committed with its chart (./scripts/refresh-notebooks)"
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    nb = nbformat.read(SPARK_NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(SPARK_NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "20,000 families evaluated on local[2]" in text
    assert "Eligible share across the 16,792 families evaluated" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chart is drawn"
