"""Settings refuse development secrets outside development."""

import json
import subprocess
import sys

import pytest

from services.points_api.config import Settings as PointsSettings
from services.training_api.config import Settings as TrainingSettings
from shared.service_auth import generate_key, public_key_of
from shared.settings import DEV_JWT_SECRET, InsecureSettingsError

URL = "postgresql+asyncpg://u:p@db:5432/x"


def test_development_defaults_work():
    s = TrainingSettings()
    assert s.environment == "development"
    assert s.database_url.endswith("/jifen_training")
    assert s.jwt_secret == DEV_JWT_SECRET


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_dev_secret_refused_outside_development(environment):
    with pytest.raises(InsecureSettingsError, match="development JWT secret"):
        PointsSettings(environment=environment, database_url=URL)


def test_database_url_required_outside_development():
    with pytest.raises(InsecureSettingsError, match="database URL"):
        PointsSettings(environment="production", jwt_secret="x" * 40)


def test_production_with_real_settings(monkeypatch):
    monkeypatch.setenv("POINTS_ENVIRONMENT", "production")
    monkeypatch.setenv("POINTS_JWT_SECRET", "s" * 48)
    monkeypatch.setenv("POINTS_DATABASE_URL", URL)
    monkeypatch.setenv("POINTS_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("POINTS_SERVICE_KEY", generate_key())
    monkeypatch.setenv("POINTS_SERVICE_PUBLIC_KEYS",
                       json.dumps({"training": public_key_of(generate_key())}))
    s = PointsSettings()
    assert (s.environment, s.database_url, s.timezone) == ("production", URL, "Europe/Berlin")


def test_unknown_timezone_is_refused():
    with pytest.raises(Exception, match="Mars"):
        TrainingSettings(timezone="Mars/Olympus")


def test_service_refuses_to_start_with_dev_secret_in_production():
    done = subprocess.run(
        [sys.executable, "-c", "import services.training_api.main"],
        capture_output=True,
        text=True,
        env={
            "TRAINING_ENVIRONMENT": "production",
            "TRAINING_DATABASE_URL": URL,
            "PATH": "/usr/bin:/bin",
        },
        timeout=300,  # an import of the whole service on a loaded machine
    )
    assert done.returncode != 0 and "development JWT secret" in done.stderr
