"""`GET /health`: version, stage and whether DynamoDB answers."""

from chalice import Blueprint

from chalicelib.services.health import check_health

health_routes = Blueprint(__name__)


@health_routes.route("/health", methods=["GET"])
def health() -> dict:
    return check_health()
