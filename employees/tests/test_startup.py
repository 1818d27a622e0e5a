import json
import subprocess
import sys

from django.conf import settings

# What a gunicorn worker has imported once it has served a page: the app, then the URLconf.
STARTUP = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps(sorted(sys.modules)))
"""


def test_start_up_leaves_out_the_spreadsheet_and_schema_libraries():
    result = subprocess.run(  # noqa: S603 (this interpreter, running the code above)
        [sys.executable, "-c", STARTUP],
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x" * 50,
            "DJANGO_SETTINGS_MODULE": "directory_site.settings",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(json.loads(result.stdout))
    assert "import_export.admin" in modules
    assert "rest_framework.viewsets" in modules
    # Imported when an XLSX file is read or written, or when /api/schema/ is first asked for.
    assert not {"openpyxl", "drf_spectacular.openapi", "django.test"} & modules
