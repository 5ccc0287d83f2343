import subprocess
import sys
from pathlib import Path

from agent.errors import AgentError, TamperedChunk, WrongPassphrase

REPOSITORY = Path(__file__).resolve().parents[2]


def test_agent_error_carries_code_message_and_action():
    error = WrongPassphrase()
    assert error.code == "A102"
    assert "passphrase" in error.message
    assert error.action
    assert str(error) == f"{error.message} (ID: A102)"


def test_agent_error_can_carry_a_portal_catalogue_code():
    error = AgentError(
        "Security PIN entered is incorrect.",
        code="100130",
        action="Generate a new security PIN in the portal.",
    )
    assert str(error) == "Security PIN entered is incorrect. (ID: 100130)"
    assert error.action.startswith("Generate")


def test_a_specific_message_keeps_the_class_code_and_action():
    error = TamperedChunk(cause="Chunk abc fails its tag.")
    assert error.code == "A201"
    assert error.cause == "Chunk abc fails its tag."
    assert error.message == TamperedChunk.message


def test_the_agent_imports_nothing_from_django():
    modules = [
        path.stem
        for path in (REPOSITORY / "agent").glob("*.py")
        if path.stem != "__init__"
    ]
    imports = "; ".join(f"import agent.{name}" for name in modules)
    check = f"{imports}; import sys; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
    assert len(modules) >= 8
