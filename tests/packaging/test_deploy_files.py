"""The deployment files: compose validates against the compose spec and agrees with the Dockerfile."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_is_valid_against_the_compose_spec():
    checker = Path(sys.executable).with_name("check-jsonschema")
    assert checker.exists() or shutil.which("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_check_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        "services:\n  nnplay:\n    ports: 8000\n    build: {context: 3}\n    restart: sometimes\n"
    )
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0


def test_compose_serves_the_dockerfile_app_on_port_8000():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["nnplay"]
    assert (ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    assert "127.0.0.1:8000:8000" in service["ports"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "EXPOSE 8000" in dockerfile and 'CMD ["nnplay", "serve"]' in dockerfile
    assert "NNPLAY_HOST=0.0.0.0" in dockerfile and "NNPLAY_FRONTEND_DIR=/app/frontend" in dockerfile
    for copied in ("pyproject.toml", "backend", "frontend"):
        assert (ROOT / copied).exists()


def test_console_script_and_extras_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["nnplay"] == "nnplay.cli:main"
    assert any("cuda" in dep for dep in project["optional-dependencies"]["cuda"])
    assert project["requires-python"] == ">=3.11"
