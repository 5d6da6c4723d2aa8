"""The city file as a packaged command for a deployed stage (docs/city-file.md): no HTTP route on purpose.

Only whoever may invoke the Lambda (IAM) can change the directory this way, as with `make city` locally.
"""

from __future__ import annotations

from chalice import Blueprint

city_admin = Blueprint(__name__)


@city_admin.lambda_function(name="apply_city_file")
def apply_city_file(event, context) -> dict:
    """Event: {"action": "validate|plan|apply|export", "yaml": "<the file's text>"}; plan when no action is given."""
    from chalicelib.services.city_file import run_city_command
    from chalicelib.services.context import get_context

    event = event if isinstance(event, dict) else {}
    action = str(event.get("action") or "plan")
    text = event.get("yaml")
    if action != "export" and not isinstance(text, str):
        return {"ok": False, "errors": ["the event needs \"yaml\": the city file's text"]}
    return run_city_command(None if action == "validate" else get_context(), action, text or "")
