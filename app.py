"""Composition root: the Chalice app and its blueprints. No logic lives here (DESIGN §5)."""

from chalice import Chalice

from handlers.health import health_routes

app = Chalice(app_name="aduan")
app.register_blueprint(health_routes)
