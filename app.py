"""Composition root: the Chalice app and its blueprints. No logic lives here (DESIGN §5)."""

from chalice import Chalice

from handlers.health import health_routes
from handlers.jobs import jobs
from handlers.officer_api import officer_api

app = Chalice(app_name="aduan")
app.register_blueprint(health_routes)
app.register_blueprint(officer_api)
app.register_blueprint(jobs)
