"""The deployment zip that `chalice package` builds carries what runs and nothing else, and it imports and
serves in a clean Python that has nothing installed (as on Lambda: the zip is the whole application).

`handlers/` lives at the top of the repo; it reaches the zip through the `vendor/handlers -> ../handlers`
symlink (chalice copies vendor/ into the zip root, following symlinks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scripts.local_stack import REPO_ROOT, free_port

pytestmark = pytest.mark.packaging

STAGE = "dev"
REGION = "ap-southeast-3"
CHALICE_MAIN = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", ".data", "deployments", "__pycache__", "*.pyc",
    ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist",
)  # fmt: skip
# Never in the zip: the repo's own tooling and docs (the demo city, the bench with its DynamoDB metering, the
# tests and their helpers, the local scripts, the infrastructure templates), and test/dev libraries.
FORBIDDEN_TOP_LEVEL = (
    "demo", "bench", "tests", "scripts", "docs", "infra", "node_modules", "vendor", ".chalice",
    "moto", "pytest", "_pytest", "pytest_timeout", "hypothesis", "schemathesis", "playwright", "ruff", "pip",
    "setuptools", "wheel", "_distutils_hack", "cfnlint", "twilio", "linebot", "requests", "responses", "werkzeug",
    "flask", "docker", "aws_xray_sdk", "pydantic", "chalice/cli",
)  # fmt: skip
# ... nor anywhere inside it under a name of that kind (the demo city and the metering lived in chalicelib/).
FORBIDDEN_PARTS = ("demo", "kediri", "metering", "conftest", "test_", "tests")

# Exactly what the zip holds at its top: the app ...
APP_TOP_LEVEL = frozenset({"app.py", "chalicelib", "handlers"})
# ... Chalice's runtime module, which `chalice package` adds (chalice/__init__.py and chalice/app.py, no CLI) ...
CHALICE_RUNTIME = frozenset({"chalice/__init__.py", "chalice/app.py"})
# ... and the distributions of requirements.txt with their own dependencies: {distribution: its top-level
# modules}. A new runtime dependency is a change to the cold start and the package size: add it here knowingly.
RUNTIME_DISTRIBUTIONS = {
    "aws_lambda_powertools": {"aws_lambda_powertools"},
    "boto3": {"boto3"},
    "botocore": {"botocore"},
    "holidays": {"holidays"},
    "jinja2": {"jinja2"},
    "jmespath": {"jmespath"},
    "markupsafe": {"markupsafe"},
    "phonenumberslite": {"phonenumbers"},
    "pynamodb": {"pynamodb"},
    "python_dateutil": {"dateutil"},
    "pyyaml": {"yaml", "_yaml"},
    "s3transfer": {"s3transfer"},
    "six": {"six.py"},
    "typing_extensions": {"typing_extensions.py"},
    "urllib3": {"urllib3"},
    "xlsxwriter": {"xlsxwriter"},
}
# The subpackages of chalicelib/ that ship (the layers of docs/architecture.md).
CHALICELIB_SUBPACKAGES = frozenset({"channels", "domain", "services", "store", "web"})


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`chalice package --stage dev` of a copy of the project (so the repo's .chalice/deployments cache is
    neither used nor written); returns the output directory (deployment.zip, sam.json)."""
    project = tmp_path_factory.mktemp("project") / "aduan"
    shutil.copytree(REPO_ROOT, project, symlinks=True, ignore=COPY_IGNORE)
    out = tmp_path_factory.mktemp("package")
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "packaging-test",
        "AWS_SECRET_ACCESS_KEY": "packaging-test",
    }
    chalice = [sys.executable, "-c", CHALICE_MAIN, "--project-dir", str(project)]
    done = subprocess.run(
        [*chalice, "package", "--stage", STAGE, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"chalice package failed:\n{done.stdout}\n{done.stderr}"
    assert (out / "deployment.zip").exists()
    return out


@pytest.fixture(scope="module")
def zip_names(package: Path) -> list[str]:
    with zipfile.ZipFile(package / "deployment.zip") as zipped:
        return zipped.namelist()


@pytest.fixture(scope="module")
def unzipped(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(package / "deployment.zip") as zipped:
        zipped.extractall(target)
    return target


@pytest.fixture(scope="module")
def functions(package: Path) -> dict[str, dict]:
    """The Lambda functions of the SAM template: {logical id: {"handler": ..., "env": {...}}}."""
    template = json.loads((package / "sam.json").read_text())
    found = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            props = resource["Properties"]
            found[name] = {
                "handler": props["Handler"],
                "runtime": props["Runtime"],
                "env": props.get("Environment", {}).get("Variables", {}),
            }
    return found


@pytest.fixture(scope="session")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with nothing installed in it, not even pip."""
    venv = tmp_path_factory.mktemp("clean-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not [p for p in Path(site).iterdir() if not p.name.startswith("_distutils_hack")]
    return python


# Runs inside the clean venv: import the app from the unzipped package only, serve GET /health through the
# Lambda entry point (API Gateway proxy event), and resolve every function's handler string.
PROBE = r"""
import importlib, json, sys
root, handlers = sys.argv[1], json.loads(sys.argv[2])
sys.path.insert(0, root)

import app

app.app.debug = True  # a 500 carries its traceback into the assertion message

class Context:
    function_name = "aduan-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:ap-southeast-3:123456789012:function:aduan-dev"
    memory_limit_in_mb = 512
    aws_request_id = "packaging-test-request"
    log_group_name = "/aws/lambda/aduan-dev"
    log_stream_name = "packaging-test"
    identity = None
    client_context = None

    def get_remaining_time_in_millis(self):
        return 30000

event = {
    "resource": "/health",
    "path": "/health",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json", "Host": "example.execute-api.ap-southeast-3.amazonaws.com"},
    "multiValueHeaders": {"Accept": ["application/json"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/health",
        "httpMethod": "GET",
        "path": "/api/health",
        "stage": "api",
        "requestId": "packaging-test",
        "identity": {"sourceIp": "127.0.0.1"},
    },
    "body": None,
    "isBase64Encoded": False,
}
response = app.app(event, Context())

# the officer web view renders from the package: templates and static files ship in it
sign_in = dict(event, resource="/petugas/masuk", path="/petugas/masuk",
               headers={"Accept": "text/html", "Host": event["headers"]["Host"]},
               requestContext=dict(event["requestContext"], resourcePath="/petugas/masuk", path="/api/petugas/masuk"))
page = app.app(sign_in, Context())
stylesheet = dict(event, resource="/static/{name}", path="/static/petugas.css",
                  pathParameters={"name": "petugas.css"},
                  requestContext=dict(event["requestContext"], resourcePath="/static/{name}"))
css = app.app(stylesheet, Context())

resolved = {}
for name, handler in handlers.items():
    module, _, attr = handler.rpartition(".")
    resolved[name] = callable(getattr(importlib.import_module(module), attr))

outside = sorted(
    m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and not m.__file__.startswith((root, sys.base_prefix))
)
print("PROBE " + json.dumps({"response": response, "page": page, "css": css, "handlers": resolved,
                            "outside": outside}))
"""


def test_zip_carries_the_app_and_its_runtime_dependencies(zip_names: list[str]) -> None:
    names = set(zip_names)
    assert "app.py" in names
    assert any(n.startswith("chalicelib/") for n in names)
    assert "handlers/__init__.py" in names
    assert "handlers/health.py" in names
    for package in ("pynamodb/", "aws_lambda_powertools/", "holidays/", "phonenumbers/"):
        assert any(n.startswith(package) for n in names), f"{package} is missing"


def test_zip_carries_no_dev_tools_nor_the_phonenumbers_geodata(zip_names: list[str]) -> None:
    tops = {n.split("/")[0] for n in zip_names}
    for forbidden in FORBIDDEN_TOP_LEVEL:
        assert not any(n.startswith(forbidden + "/") or n == forbidden + ".py" for n in zip_names), (
            f"{forbidden} must not be deployed"
        )
    assert not any(t.startswith(("moto", "pytest", "hypothesis", "ruff")) for t in tops), sorted(tops)
    assert not any(n.startswith("phonenumbers/geodata/") for n in zip_names), "full phonenumbers packaged"
    assert not any(n.startswith("phonenumbers-") for n in zip_names), "use phonenumberslite"
    assert not any(n.startswith("tests/") for n in zip_names)
    assert not any("__pycache__" in n for n in zip_names if n.startswith(("handlers/", "chalicelib/")))


def test_zip_carries_what_runs_and_nothing_else(zip_names: list[str]) -> None:
    """The zip's top-level entries are exactly the app, Chalice's runtime module and the runtime distributions
    (each with its .dist-info, and the .data a wheel may bring); chalicelib/ ships exactly its layers."""
    tops = {n.split("/")[0] for n in zip_names}
    modules = {module for owned in RUNTIME_DISTRIBUTIONS.values() for module in owned}
    distributions = {t.split("-")[0].lower() for t in tops if t.endswith((".dist-info", ".data"))}
    assert {t for t in tops if not t.endswith((".dist-info", ".data"))} == APP_TOP_LEVEL | {"chalice"} | modules
    assert distributions == set(RUNTIME_DISTRIBUTIONS), "distributions in the zip differ from the allow-list"
    assert {n for n in zip_names if n.startswith("chalice/")} == CHALICE_RUNTIME
    chalicelib = {n.split("/")[1] for n in zip_names if n.startswith("chalicelib/") and n.count("/") >= 2}
    assert chalicelib == CHALICELIB_SUBPACKAGES


def test_zip_carries_no_demo_city_metering_nor_test_helpers(zip_names: list[str]) -> None:
    """The demo city (demo/), the bench's DynamoDB metering (bench/metering.py) and test helpers stay in the
    repo: nothing of the app's own code in the zip is named after them."""
    own = [n for n in zip_names if n.startswith(("app.py", "chalicelib/", "handlers/"))]
    assert own
    found = [n for n in own if any(part.startswith(FORBIDDEN_PARTS) for part in n.split("/"))]
    assert found == []
    for path in ("chalicelib/demo/", "chalicelib/services/demo_data.py", "chalicelib/store/metering.py"):
        assert not any(n.startswith(path) for n in zip_names), f"{path} must not be deployed"


def test_every_function_targets_python311(functions: dict[str, dict]) -> None:
    assert "APIHandler" in functions
    assert {f["runtime"] for f in functions.values()} == {"python3.11"}


def test_package_imports_and_serves_health_in_a_clean_python(
    unzipped: Path, functions: dict[str, dict], clean_python: Path, tmp_path: Path
) -> None:
    api = functions["APIHandler"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **api["env"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "packaging-test",
        "AWS_SECRET_ACCESS_KEY": "packaging-test",
        "AWS_LAMBDA_FUNCTION_NAME": "aduan-dev",
        # Nothing listens there: the health check must answer quickly that DynamoDB is unreachable
        # instead of trying the real AWS endpoint.
        "ADUAN_DYNAMODB_HOST": f"http://127.0.0.1:{free_port()}",
        # Secrets Manager cannot be reached from here; a set secret takes precedence over the lookup
        # (whether the lookup's own imports ship is test_every_import_in_the_code_resolves_in_the_package).
        "ADUAN_SESSION_SECRET": "packaging-test-secret",
        "ADUAN_CHANNEL_SECRETS_NAME": "",  # likewise: the channel secrets are not needed to draw a page
    }
    handlers = {name: f["handler"] for name, f in functions.items()}
    done = subprocess.run(
        [str(clean_python), "-I", "-c", PROBE, str(unzipped), json.dumps(handlers)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the package does not import or serve:\n{done.stdout}\n{done.stderr}"
    probe = next(json.loads(line[6:]) for line in done.stdout.splitlines() if line.startswith("PROBE "))

    response = probe["response"]
    assert response["statusCode"] == 200, f"{response}\n{done.stderr}"
    body = json.loads(response["body"])
    assert body["status"] == "ok"
    assert body["version"]
    assert body["stage"] == STAGE
    assert body["dynamodb"] == "unreachable"
    page = probe["page"]
    assert page["statusCode"] == 200, f"{page}\n{done.stderr}"
    assert "Masuk petugas" in page["body"] and page["headers"]["Content-Security-Policy"]
    assert probe["css"]["statusCode"] == 200 and ".sla-lewat" in probe["css"]["body"]
    assert probe["handlers"] == {name: True for name in functions}, probe["handlers"]
    assert probe["outside"] == [], "modules imported from outside the package and the standard library"


# Runs inside the clean venv: every import statement of the app's own code (module level or deferred into a
# function, as docs/architecture.md asks of heavy modules) must resolve from the package or the standard library.
# Imports under `if TYPE_CHECKING:` and inside `try: ... except ImportError:` are skipped.
LAZY_PROBE = r"""
import ast, importlib, json, sys
from pathlib import Path
root = Path(sys.argv[1])
sys.path.insert(0, str(root))

def is_type_checking(node):
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")

def guards_import_error(node):
    for handler in node.handlers:
        names = [handler.type] if not isinstance(handler.type, ast.Tuple) else list(handler.type.elts)
        if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
            return True
    return False

def imports(node, package, found):
    if isinstance(node, ast.If) and is_type_checking(node):
        for child in node.orelse:
            imports(child, package, found)
        return
    if isinstance(node, ast.Try) and guards_import_error(node):
        return
    if isinstance(node, ast.Import):
        found.update((alias.name, None) for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, module] if module else base)
        found.update((module, alias.name) for alias in node.names)
    for child in ast.iter_child_nodes(node):
        imports(child, package, found)

found = set()
sources = [root / "app.py", *sorted((root / "chalicelib").rglob("*.py")), *sorted((root / "handlers").rglob("*.py"))]
for path in sources:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    package = ".".join(parts if parts[-1] == "__init__" and parts.pop() is not None else parts[:-1])
    imports(ast.parse(path.read_text(), str(path)), package, found)

missing = []
for module, name in sorted(found, key=lambda item: (item[0], item[1] or "")):
    try:
        imported = importlib.import_module(module)
        if name and name != "*" and not hasattr(imported, name):
            importlib.import_module(module + "." + name)
    except Exception as exc:
        missing.append(f"{module}{'.' + name if name else ''}: {type(exc).__name__}: {exc}")
print("LAZY " + json.dumps({"checked": len(found), "missing": missing}))
"""


def test_every_import_in_the_code_resolves_in_the_package(
    unzipped: Path, functions: dict[str, dict], clean_python: Path, tmp_path: Path
) -> None:
    """A deferred import runs on Lambda only when its code path does (first request, a scheduled job):
    the package must carry it, or it fails there and nowhere before. Note: the Lambda runtime also has
    its own boto3, but an app that relies on it runs against a boto3/botocore pair no test here used."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **functions["APIHandler"]["env"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "packaging-test",
        "AWS_SECRET_ACCESS_KEY": "packaging-test",
        "ADUAN_SESSION_SECRET": "packaging-test-secret",
        "ADUAN_DYNAMODB_HOST": f"http://127.0.0.1:{free_port()}",
    }
    done = subprocess.run(
        [str(clean_python), "-I", "-c", LAZY_PROBE, str(unzipped)],
        cwd=str(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    result = next(json.loads(line[5:]) for line in done.stdout.splitlines() if line.startswith("LAZY "))
    assert result["checked"] > 10
    assert result["missing"] == [], "imports the deployment package cannot satisfy:\n" + "\n".join(result["missing"])
