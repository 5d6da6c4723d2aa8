"""`GET /health`: version, stage and whether DynamoDB answers."""

from chalice import Blueprint

health_routes = Blueprint(__name__)


@health_routes.route("/health", methods=["GET"])
def health() -> dict:
    from chalicelib.services.health import check_health

    return check_health()
