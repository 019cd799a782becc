"""training_api starts without the numeric libraries: implicit, scipy, numpy, pandas,
scikit-learn and statsmodels take seconds to import and are loaded where they are
used (the recommendation model's build, the worker processes of risk runs and
forecasts), not when the service starts."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("implicit", "scipy", "numpy", "pandas", "sklearn", "statsmodels")


def test_the_service_starts_without_the_numeric_libraries():
    code = ("import sys, services.training_api.main; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert found.stdout.strip() == ""
