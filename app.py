"""Composition root: the Chalice app and its blueprints. No logic lives here (docs/architecture.md, Layers)."""

from chalice import Chalice

from handlers.admin_calendar import admin_calendar
from handlers.admin_calendar_pages import admin_calendar_pages
from handlers.admin_directory import admin_directory
from handlers.admin_directory_pages import admin_directory_pages
from handlers.admin_officer_pages import admin_officer_pages
from handlers.admin_officers import admin_officers
from handlers.case_stream import case_stream
from handlers.city_admin import city_admin
from handlers.email_intake import email_intake
from handlers.errors import framework_error_body
from handlers.health import health_routes
from handlers.intake_stream import intake_stream
from handlers.jobs import jobs
from handlers.officer_api import officer_api
from handlers.officer_privacy import officer_privacy
from handlers.officer_web import officer_web
from handlers.officer_web_case import officer_web_case
from handlers.officer_web_inbox import officer_web_inbox
from handlers.officer_web_reports import officer_web_reports
from handlers.privacy_jobs import privacy_jobs
from handlers.public import public_pages
from handlers.webhooks import (
    line_webhook,
    meta_webhooks,
    registered_webhooks,
    sms_gateway_webhook,
    telegram_webhook,
    twilio_webhook,
)

app = Chalice(app_name="aduan")
app.api.binary_types.append("multipart/form-data")  # the public form's photo arrives as raw bytes
app.api.binary_types.extend([  # what the officer view sends as bytes: photos, documents, the recap workbook
    "image/webp", "application/pdf", "video/mp4",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",  # a citizen's data export with its files (handlers/officer_privacy.py)
])
app.register_middleware(framework_error_body, "http")  # the framework's own 405/415/500 in the API's error shape


@app.middleware("all")
def observed(event, get_response):
    """Every function: Lambda context and correlation id on its log lines, its metrics flushed at its end
    (`chalicelib.observability.observe`, imported on the first invocation: `import app` stays light)."""
    from chalicelib.observability import observe

    return observe(event, get_response)


for blueprint in (
    health_routes,
    officer_api,
    admin_officers,
    admin_officer_pages,
    officer_web,
    officer_web_inbox,
    officer_web_case,
    officer_web_reports,
    officer_privacy,
    admin_calendar,
    admin_calendar_pages,
    admin_directory,
    admin_directory_pages,
    jobs,
    privacy_jobs,
    intake_stream,
    case_stream,
    line_webhook,
    meta_webhooks,
    twilio_webhook,
    telegram_webhook,
    sms_gateway_webhook,
    registered_webhooks,  # POST /webhooks/{channel}: after the routes above, which win for their own paths
    public_pages,
    email_intake,
    city_admin,
):
    app.register_blueprint(blueprint)
